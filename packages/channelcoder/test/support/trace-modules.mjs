// Preloaded with `node --import` by cli-startup.test.ts: records the URL of every module the process loads
// (ESM imports, and the entry file of each CommonJS package imported from ESM) into $CHANNELCODER_TRACE_MODULES.
import { register } from 'node:module';

register('./trace-modules-hooks.mjs', import.meta.url);
