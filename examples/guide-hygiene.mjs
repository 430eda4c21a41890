// Session guide, "Session Hygiene": remove sessions not used for 30 days.
import { session } from 'channelcoder';

// List and clean old sessions periodically
const sessions = await session.list();
const oldSessions = sessions.filter(
  (s) => Date.now() - new Date(s.lastActive).getTime() > 30 * 24 * 60 * 60 * 1000,
);

for (const old of oldSessions) {
  await session.remove(old.name);
  console.log(`removed ${old.name}`);
}
console.log(`kept: ${(await session.list()).map((s) => s.name).join(', ')}`);
