// Preloaded with `node --require` by cli-startup.test.ts: records into $CHANNELCODER_TRACE_MODULES the file
// URL of every module the process loads, an ES module's prefixed with `esm `, and a line `esm-loader` if
// Node's ES module loader was set up although the program started without it.
// - Where Node sets up that loader only for a program that uses it (Node 20), the preload patches the
//   CommonJS loader (reached without `node:module`, whose ES module API would set it up) and checks at exit.
// - Where every program starts with it (Node 24), the preload registers synchronous module hooks
//   (`module.registerHooks`), which see CommonJS and ES modules alike, with their format.
// - Elsewhere (a Node with the loader preloaded but without those hooks) only CommonJS modules are recorded.
const { appendFileSync } = require('node:fs');
const { pathToFileURL } = require('node:url');

const trace = process.env.CHANNELCODER_TRACE_MODULES;
const esmAtStart = process.moduleLoadList.includes('NativeModule internal/modules/esm/loader');
const registerHooks = esmAtStart ? require('node:module').registerHooks : undefined;
if (typeof registerHooks === 'function') {
  registerHooks({
    load(url, context, nextLoad) {
      const result = nextLoad(url, context);
      if (url.startsWith('file:'))
        appendFileSync(trace, `${result.format === 'module' ? 'esm ' : ''}${url}\n`);
      return result;
    },
  });
} else {
  const Module = module.constructor;
  const compile = Module.prototype._compile;
  Module.prototype._compile = function (content, filename) {
    appendFileSync(trace, `${pathToFileURL(filename).href}\n`);
    return compile.call(this, content, filename);
  };
  process.on('exit', () => {
    if (!esmAtStart && process.moduleLoadList.includes('NativeModule internal/modules/esm/loader'))
      appendFileSync(trace, 'esm-loader\n');
  });
}
