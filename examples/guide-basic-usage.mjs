// Session guide, "Basic Session Usage": a conversation that remembers its context, saved and continued.
// Runs the `claude` CLI (CLAUDE_BIN, else on PATH); sessions go to ~/.channelcoder/sessions
// (or $CHANNELCODER_HOME/sessions).
import { session } from 'channelcoder';

const name = process.argv[2] ?? 'learning-typescript';

// Create a new session
const s = session();

// Have a conversation
const first = await s.claude('What is TypeScript?');
const second = await s.claude('Show me an example'); // Remembers previous context!
console.log(`1: ${first.text}`);
console.log(`2: ${second.text}`);

// Save for later
await s.save(name);

// Load and continue another day
const saved = await session.load(name);
const third = await saved.claude('What about generics?');
console.log(`3: ${third.text}`);
console.log(`saved as "${name}": ${saved.messages().length} messages, Claude session ${saved.id()}`);
