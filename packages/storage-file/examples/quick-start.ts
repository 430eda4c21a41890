import { createSessionState, recordTurn } from '@channelcoder/session-core';
import { FileSessionStorage } from '@channelcoder/storage-file';

export async function quickStart(): Promise<void> {
  // Seed style: a folder relative to the working directory. No argument: ~/.channelcoder/sessions.
  const storage = new FileSessionStorage('./my-sessions');

  let state = createSessionState({ name: 'feature-auth', cwd: process.cwd() });
  state = recordTurn(state, {
    prompt: 'Add a login form',
    result: { sessionId: '3f2c9a1e-claude-session', text: 'Added LoginForm.tsx', costUsd: 0.012 },
  });
  await storage.save(state); // durable when it resolves; state.revision is now 1

  const loaded = await storage.load('feature-auth');
  console.log(loaded.messages.length, loaded.revision); // 2 1

  for (const info of await storage.list({ limit: 20 })) {
    console.log(info.name, info.messageCount, info.path); // feature-auth 2 …/my-sessions/feature-auth/head.json
  }
}
