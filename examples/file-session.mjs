// Creates a session, records two turns, saves it with the file storage, lists it, reloads it and continues.
// The turns here are recorded directly (no Claude call), so this runs anywhere; see the README for runs
// through the real `claude` CLI. Sessions go to ~/.channelcoder/sessions (or $CHANNELCODER_HOME/sessions).
import { createSessionState, recordTurn } from '@channelcoder/session-core';
import { FileSessionStorage } from '@channelcoder/storage-file';

const storage = new FileSessionStorage();
const name = `example-${Date.now()}`;

let state = createSessionState({ name, cwd: process.cwd(), tags: ['example'] });
state = recordTurn(state, {
  prompt: 'What is TypeScript?',
  result: {
    sessionId: '6a1f3c52-8d3e-4b1a-9c57-2f0e1d4b7a90',
    text: 'A typed superset of JavaScript.',
    totalCostUsd: 0.0021,
  },
});
state = recordTurn(state, {
  prompt: 'Show me an example',
  result: {
    sessionId: '6a1f3c52-8d3e-4b1a-9c57-2f0e1d4b7a90',
    text: 'const n: number = 1;',
    totalCostUsd: 0.0047,
  },
});
await storage.save(state);
console.log(`saved "${name}" (revision ${state.revision}, ${state.messages.length} messages)`);

const [newest] = await storage.list({ limit: 1, prefix: 'example-' });
console.log(
  `listed: ${newest.name} — ${newest.messageCount} messages, $${newest.totalCostUsd.toFixed(4)}, at ${newest.path}`,
);

let reloaded = await storage.load(name);
reloaded = recordTurn(reloaded, {
  prompt: 'What about generics?',
  result: {
    sessionId: reloaded.currentSessionId,
    text: 'function id<T>(x: T): T { return x; }',
    totalCostUsd: 0.0071,
  },
});
await storage.save(reloaded);
console.log(
  `reloaded and continued: ${reloaded.messages.length} messages, chain ${JSON.stringify(reloaded.sessionChain)}, ` +
    `cost $${reloaded.usage.totalCostUsd.toFixed(4)}, revision ${reloaded.revision}`,
);
