// Session guide, "Context Management" and "Session size limits": when a conversation grows long, ask for
// a summary and continue in a fresh session that starts from it.
import { session } from 'channelcoder';

const limit = Number(process.argv[2] ?? 4);
const s = session({ name: 'auth-system' });
await s.claude('Implement auth system');
await s.claude('Add password reset');
await s.claude('Add sessions and refresh tokens');

if (s.messages().length > limit) {
  const summary = await s.claude('Summarize our progress');
  const fresh = session();
  // The result's text is the summary (the seed returned an object here too).
  const reply = await fresh.claude(`Continue from: ${summary.text}`);
  await fresh.save('payment-system');
  console.log(`long session: ${s.messages().length} messages`);
  console.log(`fresh session: ${fresh.messages().length} messages, first reply: ${reply.text}`);
  console.log(`different Claude conversations: ${fresh.id() !== s.id()}`);
}
