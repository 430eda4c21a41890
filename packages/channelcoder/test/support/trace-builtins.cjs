// Preloaded with `node --require` by cli-startup.test.ts: writes the names of Node's own modules that the
// process loaded (process.moduleLoadList) into $CHANNELCODER_TRACE_BUILTINS when it exits. A CommonJS
// preload, so that it loads nothing of the ES module loader itself.
const { writeFileSync } = require('node:fs');

process.on('exit', () => {
  writeFileSync(process.env.CHANNELCODER_TRACE_BUILTINS, `${process.moduleLoadList.join('\n')}\n`);
});
