// Session guide, "Session Metadata": list saved sessions with their metadata, newest first.
import { session } from 'channelcoder';

const a = session({ name: 'feature-auth' });
await a.claude('Plan the login flow');
const b = session({ name: 'bug-12345' });
await b.claude('Getting TypeError in production');
await b.claude('Here is the stack trace: ...');

// List sessions with metadata
const sessions = await session.list();
for (const info of sessions) {
  console.log(
    `${info.name}: ${info.messageCount} messages, created ${info.created.toISOString()}, ` +
      `last active ${info.lastActive.toISOString()}, path ${info.path}`,
  );
}
