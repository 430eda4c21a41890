// The module hooks of trace-modules.mjs (they run on Node's loader thread).
import { appendFileSync } from 'node:fs';

export async function load(url, context, nextLoad) {
  if (url.startsWith('file:')) appendFileSync(process.env.CHANNELCODER_TRACE_MODULES, `${url}\n`);
  return nextLoad(url, context);
}
