// Preloaded with `node --require` by cli-startup.test.ts: records into $CHANNELCODER_TRACE_MODULES the file
// URL of every CommonJS module the process compiles and, when it exits, a line `esm-loader` if Node's ES
// module loader was set up (any ES module, or an `import()`, sets it up). A CommonJS preload, so that it
// loads nothing of the ES module loader itself.
const { appendFileSync } = require('node:fs');
const { pathToFileURL } = require('node:url');

const trace = process.env.CHANNELCODER_TRACE_MODULES;
// The CommonJS loader's Module class, reached without `node:module` (whose ES module API sets up that loader).
const Module = module.constructor;
const compile = Module.prototype._compile;
Module.prototype._compile = function (content, filename) {
  appendFileSync(trace, `${pathToFileURL(filename).href}\n`);
  return compile.call(this, content, filename);
};
process.on('exit', () => {
  if (process.moduleLoadList.includes('NativeModule internal/modules/esm/loader'))
    appendFileSync(trace, 'esm-loader\n');
});
