import type { S3Client } from '@aws-sdk/client-s3';
import { createSessionState } from '@channelcoder/session-core';
import { S3SessionStorage } from '@channelcoder/storage-s3';

export async function quickstart(client: S3Client, bucket: string) {
  const storage = new S3SessionStorage({ client, bucket, prefix: 'myapp/sessions/' });

  const state = createSessionState({ cwd: '/srv/app' });
  state.messages.push({
    id: 'm1',
    role: 'user',
    content: 'Summarise the open issues',
    timestamp: new Date(),
    sessionId: '',
  });
  await storage.save(state, 'support-bot'); // state.revision is now 1

  const loaded = await storage.load('support-bot'); // 1 message, revision 1
  const firstPage = await storage.list({ limit: 20 }); // newest first, metadata only
  const nextPage = await storage.list({ limit: 20, cursor: firstPage.at(-1)?.cursor ?? '' });

  await storage.remove('support-bot');
  return { loaded, firstPage, nextPage };
}
