/** The CLI's dispatcher and error report as an ES module without side effects, for the executable (bin.ts). */
export { main, report } from './cli/main.js';
