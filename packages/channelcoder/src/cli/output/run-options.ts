/** The run options a session keeps (`session show`), one aligned line each. */
import type { SessionRunSettings } from '@channelcoder/session-core/model';

/** Lines like `  model         opus`; none for a session without kept options. */
export function runOptionLines(settings: SessionRunSettings | undefined): string[] {
  if (settings === undefined) return [];
  const line = (label: string, value: string) => `  ${label.padEnd(14)}${value}`;
  const lines: string[] = [];
  if (settings.model !== undefined) lines.push(line('model', settings.model));
  if (settings.permissionMode !== undefined) lines.push(line('permissions', settings.permissionMode));
  if (settings.allowedTools !== undefined)
    lines.push(line('allowed tools', settings.allowedTools.join(', ')));
  if (settings.disallowedTools !== undefined)
    lines.push(line('denied tools', settings.disallowedTools.join(', ')));
  if (settings.worktree !== undefined) {
    const { branch, path } = settings.worktree;
    lines.push(line('worktree', `${branch} at ${path}`));
  }
  if (settings.docker !== undefined) {
    const d = settings.docker;
    const parts = [d.image ?? 'image from Dockerfile'];
    if (d.dockerfile !== undefined) parts.push(`built from ${d.dockerfile}`);
    if (d.mounts !== undefined && d.mounts.length > 0) parts.push(`mounts ${d.mounts.join(', ')}`);
    if (d.envNames !== undefined && d.envNames.length > 0) parts.push(`env ${d.envNames.join(', ')}`);
    lines.push(line('docker', parts.join(' · ')));
  }
  return lines;
}
