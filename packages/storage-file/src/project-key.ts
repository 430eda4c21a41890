/**
 * The project key of a session's metadata (`sessionProjectKey`): the Claude Code folder name of its
 * `metadata.cwd`, else its `metadata.projectKey`. Takes the metadata as read (fields may be of any type).
 */
import { sessionProjectKey } from '@channelcoder/session-core/storage-kit';

export function projectKeyOfMetadata(
  metadata: { cwd?: unknown; projectKey?: unknown } | null | undefined,
): string | undefined {
  if (metadata === null || typeof metadata !== 'object') return undefined;
  const { cwd, projectKey } = metadata;
  return sessionProjectKey({
    metadata: {
      ...(typeof cwd === 'string' ? { cwd } : {}),
      ...(typeof projectKey === 'string' ? { projectKey } : {}),
    },
  });
}
