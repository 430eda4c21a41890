/**
 * The trash from the command line, end to end: the built `channelcoder` executable, the real `claude` CLI
 * and the mock Anthropic API, on the default file storage. `--force` and `session remove` move a session
 * to the trash; `session list --trash` shows it; `session restore` brings it back (and it continues).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliWorld, startCliWorld } from './support/cli-world.js';

interface TrashJson {
  id: string;
  name: string;
  reason: string;
  trashedAt: string;
  expiresAt: string;
  session: { messageCount: number };
}

describe('channelcoder CLI: the trash', () => {
  let world: CliWorld;
  const cli = (...args: string[]) => world.cli(args);
  const contents = async (name: string) => {
    const shown = await cli('session', 'show', name, '--json');
    expect(shown.code, shown.stderr).toBe(0);
    return (JSON.parse(shown.stdout) as { messages: Array<{ content: string }> }).messages.map(
      (m) => m.content,
    );
  };
  const trash = async () => {
    const listed = await cli('session', 'list', '--trash', '--json');
    expect(listed.code, listed.stderr).toBe(0);
    return JSON.parse(listed.stdout) as TrashJson[];
  };

  beforeAll(async () => {
    world = await startCliWorld();
  });
  afterAll(async () => {
    await world?.close();
  });

  it('--session NAME --force replaces into the trash; restore refuses the taken name, then --as brings it back', async () => {
    expect((await cli('session', 'list', '--trash')).stdout).toMatch(/^The trash of .* is empty\.\n$/);
    expect((await cli('run', 'First plan', '--session', 'plan')).code).toBe(0);
    const refused = await cli('run', 'Second plan', '--session', 'plan');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--force (the existing one goes to the trash)');

    const forced = await cli('run', 'Second plan', '--session', 'plan', '--force');
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stderr).toContain('channelcoder session restore plan --as plan-before');
    expect(await contents('plan')).toEqual(['Second plan', 'turn 1: Second plan']);

    const [entry] = await trash();
    expect(entry).toMatchObject({ name: 'plan', reason: 'replaced', session: { messageCount: 2 } });
    const kept = new Date(entry!.expiresAt).getTime() - new Date(entry!.trashedAt).getTime();
    expect(kept).toBe(30 * 24 * 60 * 60 * 1000);
    const table = await cli('session', 'list', '--trash');
    expect(table.stdout).toMatch(/^NAME\s+REASON\s+TRASHED\s+DELETED\s+MESSAGES\s+ID\n/);
    expect(table.stdout).toMatch(
      new RegExp(`\\nplan\\s+replaced\\s+just now\\s+in 4 weeks\\s+2\\s+${entry!.id}\\n`),
    );
    expect(table.stdout).toContain('channelcoder session restore NAME');
    // The trashed session is not listed among the sessions.
    const names = JSON.parse((await cli('session', 'list', '--json')).stdout) as Array<{ name: string }>;
    expect(names.map((i) => i.name)).toEqual(['plan']);

    const taken = await cli('session', 'restore', 'plan');
    expect(taken.code).toBe(2);
    expect(taken.stderr).toContain('a session named "plan" exists');
    expect(taken.stderr).toContain('channelcoder session restore plan --as NEW');
    expect(await trash()).toHaveLength(1);

    const restored = await cli('session', 'restore', 'plan', '--as', 'plan-before');
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stdout).toContain('Restored "plan-before" from the trash (2 messages, replaced');
    expect(await contents('plan-before')).toEqual(['First plan', 'turn 1: First plan']);
    expect(await trash()).toEqual([]);

    // It continues where it was: Claude gets the whole first conversation.
    const continued = await cli('run', '-p', 'And then?', '--load-session', 'plan-before');
    expect(continued.code, continued.stderr).toBe(0);
    expect(continued.stdout).toBe('turn 2: And then?\n');
    expect(world.mock.lastMessageRequest()?.userTurns).toBe(2);
  });

  it('session remove moves to the trash, restore by name or id, --purge deletes for good', async () => {
    expect((await cli('run', 'Old work', '--session', 'old')).code).toBe(0);
    const removed = await cli('session', 'remove', 'old', '--yes');
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toMatch(/^Moved session "old" to the trash \(kept until \d{4}-\d\d-\d\d\)/);
    expect(removed.stdout).toContain('channelcoder session restore old');
    expect((await cli('session', 'show', 'old')).code).toBe(2);
    const [entry] = await trash();
    expect(entry).toMatchObject({ name: 'old', reason: 'removed' });

    const byId = await cli('session', 'restore', entry!.id);
    expect(byId.code, byId.stderr).toBe(0);
    expect(await contents('old')).toEqual(['Old work', 'turn 1: Old work']);

    await cli('session', 'remove', 'old', '--yes');
    expect((await cli('session', 'restore', 'old')).code).toBe(0);
    const purged = await cli('session', 'remove', 'old', '--yes', '--purge');
    expect(purged.code, purged.stderr).toBe(0);
    expect(purged.stdout).toBe('Removed session "old".\n');
    expect(await trash()).toEqual([]);

    const missing = await cli('session', 'restore', 'old');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('has nothing named "old"');
    expect(missing.stderr).toContain('channelcoder session list --trash');
    const help = await cli('session', 'restore', '--help');
    expect(help.stdout).toMatch(/^Usage: channelcoder session restore NAME\|ID/);
  });
});
