// Session guide, "Sessions + Streaming": text as it arrives, recorded in the session when the stream ends.
import { session } from 'channelcoder';

const s = session();

// Stream with session context
for await (const chunk of s.stream('Write comprehensive docs')) {
  process.stdout.write(chunk.content);
}
process.stdout.write('\n');
console.log(`recorded: ${s.messages().length} messages`);
