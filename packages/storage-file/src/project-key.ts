/** The project key of a session's working directory (`metadata.cwd`): the Claude Code folder name. */
import { projectFolderName } from '@channelcoder/session-core';

export function projectKeyOfCwd(cwd: unknown): string | undefined {
  return typeof cwd === 'string' && cwd !== '' ? projectFolderName(cwd) : undefined;
}
