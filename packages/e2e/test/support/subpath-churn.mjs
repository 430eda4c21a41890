// A separate process that appends and deletes subagent transcripts of one Agent SDK session through
// toAgentSessionStore until it is killed; prints one line per completed delete.
// Usage: node subpath-churn.mjs '<StorageSpec JSON>' '<key JSON>' <label>
import { toAgentSessionStore } from '@channelcoder/session-core';
import { openStorage } from './open-storage.mjs';

const [specJson, keyJson, label] = process.argv.slice(2);
const { storage } = await openStorage(JSON.parse(specJson));
const store = toAgentSessionStore(storage);
const key = JSON.parse(keyJson);
for (let i = 0; ; i++) {
  const subpath = `subagents/${label}-${i}`;
  await store.append({ ...key, subpath }, [
    { type: 'user', uuid: `${label}-${i}-a` },
    { type: 'assistant', uuid: `${label}-${i}-b` },
  ]);
  await store.delete({ ...key, subpath });
  process.stdout.write(`deleted ${subpath}\n`);
}
