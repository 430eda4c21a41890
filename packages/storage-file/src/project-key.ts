/** The project key of a session's working directory (`metadata.cwd`): the Claude Code folder name. */
import { sessionProjectKey } from '@channelcoder/session-core/storage-kit';

export function projectKeyOfCwd(cwd: unknown): string | undefined {
  return typeof cwd === 'string' ? sessionProjectKey({ metadata: { cwd } }) : undefined;
}
