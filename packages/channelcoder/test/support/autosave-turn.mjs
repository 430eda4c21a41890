// One autosaving turn, as a user's script runs it: `node autosave-turn.mjs <storage dir> <name> <prompt>`
// loads the session from file storage (adopting turns its local transcript has and the store lacks) or
// creates it, runs one turn with the real `claude` CLI (CLAUDE_BIN) and prints the answer. A short lease
// ttl (1.5 s) so that a killed holder's lease runs out quickly for the next process.
import { FileSessionStorage, session } from '../../dist/index.js';

const [dir, name, prompt] = process.argv.slice(2);
if (dir === undefined || name === undefined || prompt === undefined) {
  throw new Error('usage: node autosave-turn.mjs <storage dir> <name> <prompt>');
}
const storage = new FileSessionStorage({ dir });
const options = { storage, leaseTtlMs: 1500 };
const s = (await session.exists(name, { storage }))
  ? await session.load(name, options)
  : session({ name, ...options });
const result = await s.claude(prompt);
process.stdout.write(`${result.text}\n`);
