/** Leases across processes sharing one root, and where the lease lives on disk. */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LeaseLostError, SessionBusyError, SessionCorruptError } from '@channelcoder/session-core';
import { describe, expect, it } from 'vitest';
import { FileSessionStorage } from '../src/index.js';
import { requireBuiltPackage, startFixture } from './child-process.js';
import { stateWith, useTempDirs } from './helpers.js';

const tempDir = useTempDirs();

/** Checks an overlap log: holds never overlap, and tokens grow in the order the lease was held. */
function holdsIn(log: string): { token: number; worker: string }[] {
  const holds: { token: number; worker: string }[] = [];
  let holding: { token: number; worker: string } | undefined;
  for (const line of log.trim().split('\n')) {
    const [event, token, worker] = line.split(' ');
    if (event === 'acquire') {
      expect(holding, `"${line}" while ${JSON.stringify(holding)} held the lease`).toBeUndefined();
      holding = { token: Number(token), worker: worker! };
      holds.push(holding);
    } else {
      expect({ token: Number(token), worker }).toEqual(holding);
      holding = undefined;
    }
  }
  return holds;
}

describe('FileSessionStorage leases across processes', () => {
  it('4 processes × 8 turns on one session: one holder at a time, tokens increasing, every turn stored once', async () => {
    requireBuiltPackage();
    const root = tempDir();
    const log = join(root, '.overlap.log');
    writeFileSync(log, '');
    const rounds = 8;
    const children = [1, 2, 3, 4].map((w) =>
      startFixture('lease-contender.mjs', [root, 'shared', `w${w}`, String(rounds), log]),
    );
    const codes = await Promise.all(children.map((c) => c.exited));
    expect(codes, children.map((c) => c.stderr()).join('\n')).toEqual([0, 0, 0, 0]);

    const holds = holdsIn(readFileSync(log, 'utf8'));
    expect(holds).toHaveLength(4 * rounds);
    expect(holds.map((h) => h.token)).toEqual(Array.from({ length: 4 * rounds }, (_, i) => i + 1));
    expect(new Set(holds.map((h) => h.worker))).toEqual(new Set(['w1', 'w2', 'w3', 'w4']));
    const stored = await new FileSessionStorage(root).load('shared');
    expect(stored.revision).toBe(4 * rounds);
    expect(stored.messages.map((m) => m.id).sort()).toEqual(
      [1, 2, 3, 4].flatMap((w) => Array.from({ length: rounds }, (_, r) => `w${w}-${r + 1}`)).sort(),
    );
  }, 120_000);

  it('a holder killed with SIGKILL keeps the lease only until it expires; its token is never reissued', async () => {
    requireBuiltPackage();
    const root = tempDir();
    const storage = new FileSessionStorage(root);
    const first = await storage.lease('abandoned', { ttlMs: 1 });
    await first.release();
    // The child takes the lease and hangs holding it (its turn never finishes) until killed.
    const child = startFixture('lease-holder.mjs', [root, 'abandoned', '5000']);
    const line = await child.waitForLine((l) => l.startsWith('holding '));
    const token = Number(line.split(' ')[1]);
    expect(token).toBe(first.token + 1);
    child.process.kill('SIGKILL');
    await child.exited;
    const busy = await storage.lease('abandoned').catch((e: unknown) => e);
    expect(SessionBusyError.is(busy) && busy.holder, String(busy)).toBe('child-holder');
    const next = await storage.lease('abandoned', { waitMs: 30_000 });
    expect(next.token).toBe(token + 1);
    await next.release();
  }, 60_000);
});

describe('FileSessionStorage lease files', () => {
  it('keeps the lease in .locks/<name>.lease, creates no session folder, and keeps the token after release', async () => {
    const root = tempDir();
    const storage = new FileSessionStorage(root);
    const lease = await storage.lease('only-leased', { ttlMs: 60_000, holder: 'me' });
    expect(readdirSync(root).sort()).toEqual(['.locks']);
    const record = JSON.parse(readFileSync(join(root, '.locks', 'only-leased.lease'), 'utf8'));
    expect(record).toEqual({ token: 1, holder: 'me', expiresAt: lease.expiresAt.getTime(), live: true });
    await lease.release();
    expect(JSON.parse(readFileSync(join(root, '.locks', 'only-leased.lease'), 'utf8'))).toMatchObject({
      token: 1,
      live: false,
    });
    expect(existsSync(join(root, '.locks', 'only-leased.lock'))).toBe(false);
    // Another storage object (as another process would) continues the count.
    const again = await new FileSessionStorage(root).lease('only-leased');
    expect(again.token).toBe(2);
    await again.release();
  });

  it('keeps the token counter when the session is removed and created again', async () => {
    const root = tempDir();
    const storage = new FileSessionStorage(root);
    const lease = await storage.lease('reborn');
    await storage.save(stateWith(2), 'reborn', { lease });
    await lease.release();
    await storage.remove('reborn');
    const next = await storage.lease('reborn');
    expect(next.token).toBe(lease.token + 1);
    await storage.save(stateWith(1), 'reborn', { lease: next });
    const late = await storage.save(stateWith(1), 'reborn', { lease }).catch((e: unknown) => e);
    expect(LeaseLostError.is(late), String(late)).toBe(true);
    await next.release();
  });

  it('replaces a torn lease record (a power loss) with a token greater than any issued before', async () => {
    const root = tempDir();
    const storage = new FileSessionStorage(root);
    const before = await storage.lease('torn', { ttlMs: 60_000 });
    await storage.save(stateWith(2), 'torn', { lease: before });
    writeFileSync(join(root, '.locks', 'torn.lease'), '{"token":');
    // The holder of the torn record cannot tell whether it still holds: its writes are refused.
    const refused = await storage.save(stateWith(1), 'torn', { lease: before }).catch((e: unknown) => e);
    expect(SessionCorruptError.is(refused), String(refused)).toBe(true);
    const after = await storage.lease('torn');
    expect(after.token).toBeGreaterThan(before.token);
    const next = await storage.lease('torn', { waitMs: 0 }).catch((e: unknown) => e);
    expect(SessionBusyError.is(next), String(next)).toBe(true);
    await after.release();
    expect((await storage.lease('torn')).token).toBe(after.token + 1);
  });
});
