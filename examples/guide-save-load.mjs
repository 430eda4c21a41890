// Session guide, "Long-Running Development": save on day 1, load and continue on day 2 and day 3.
import { session } from 'channelcoder';

// Day 1: Start implementation
{
  const s = session();
  await s.claude('Create a REST API for user management');
  await s.claude('Add authentication middleware');
  await s.save('user-api-project');
  console.log(`day 1: ${s.messages().length} messages`);
}

// Day 2: Continue
{
  const s = await session.load('user-api-project');
  await s.claude('Add input validation');
  const reply = await s.claude('Implement rate limiting');
  await s.save('user-api-project'); // Overwrite with progress
  console.log(`day 2: ${s.messages().length} messages, last reply: ${reply.text}`);
}

// Day 3: Finish up
{
  const s = await session.load('user-api-project');
  await s.claude('Add comprehensive tests');
  const reply = await s.claude('Write API documentation');
  console.log(`day 3: ${s.messages().length} messages, last reply: ${reply.text}`);
}

// Troubleshooting: check that a session exists before loading it
if (await session.exists('user-api-project')) {
  const s = await session.load('user-api-project');
  console.log(`exists: ${s.messages().length} messages`);
}
console.log(`missing exists: ${await session.exists('no-such-session')}`);
