// A separate process appending to one Agent SDK session through toAgentSessionStore, one entry per call.
// Usage: node bridge-writer.mjs '<StorageSpec JSON>' '<key JSON>' <writer label> <count>
// Prints nothing on success; exits 1 with the error on stderr otherwise.
import { toAgentSessionStore } from '@channelcoder/session-core';
import { openStorage } from './open-storage.mjs';

const [specJson, keyJson, label, count] = process.argv.slice(2);
const { storage, close } = await openStorage(JSON.parse(specJson));
try {
  const store = toAgentSessionStore(storage);
  const key = JSON.parse(keyJson);
  for (let i = 0; i < Number(count); i++) {
    await store.append(key, [{ type: 'user', uuid: `${label}-${i}`, writer: label, n: i }]);
  }
} finally {
  await close();
}
