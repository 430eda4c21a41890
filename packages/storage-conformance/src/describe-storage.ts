import type { SessionStorage } from '@channelcoder/session-core';
import { afterEach, describe, it } from 'vitest';
import { CONCERNS, type Concern, type ConformanceOptions, type SpecContext } from './options.js';
import { agentSessionStoreSpec } from './specs/agent-session-store.js';
import { clearSpec } from './specs/clear.js';
import { closeSpec } from './specs/close.js';
import { concurrencySpec } from './specs/concurrency.js';
import { conflictSpec } from './specs/conflict.js';
import { corruptionSpec } from './specs/corruption.js';
import { formatUpgradeSpec } from './specs/format-upgrade.js';
import { incrementalSpec } from './specs/incremental.js';
import { listSpec } from './specs/list.js';
import { namesSpec } from './specs/names.js';
import { removeExistsSpec } from './specs/remove-exists.js';
import { roundTripSpec } from './specs/round-trip.js';
import { saveWithoutNameSpec } from './specs/save-without-name.js';
import { transcriptsSpec } from './specs/transcripts.js';

type Spec = <S extends SessionStorage>(ctx: SpecContext<S>) => void;

const SPECS: Record<Concern, { title: string; spec: Spec; needsBackdoor?: boolean }> = {
  roundTrip: { title: 'round-trip fidelity', spec: roundTripSpec },
  names: { title: 'session names', spec: namesSpec },
  saveWithoutName: { title: 'save without a name', spec: saveWithoutNameSpec },
  list: { title: 'list', spec: listSpec },
  corruption: { title: 'corrupt entries', spec: corruptionSpec, needsBackdoor: true },
  removeExists: { title: 'remove and exists', spec: removeExistsSpec },
  conflict: { title: 'revision conflicts', spec: conflictSpec },
  incremental: { title: 'incremental saves', spec: incrementalSpec },
  clear: { title: 'clear() then save', spec: clearSpec },
  concurrency: { title: 'concurrent saves', spec: concurrencySpec },
  formatUpgrade: { title: 'format upgrades', spec: formatUpgradeSpec, needsBackdoor: true },
  close: { title: 'close()', spec: closeSpec },
  transcripts: { title: 'transcripts (optional capability)', spec: transcriptsSpec },
  agentSessionStore: {
    title: 'Claude Agent SDK sessionStore through toAgentSessionStore (transcript capability)',
    spec: agentSessionStoreSpec,
  },
};

/**
 * Declares the conformance suite for a storage adapter. Call it at the top level of a test file:
 *
 * ```ts
 * describeSessionStorage('MyStorage', () => new MyStorage({ prefix: uniquePrefix() }), {
 *   backdoor: (s) => ({ corrupt: …, plant: … }),
 *   destroy: (s) => s.close(),
 * });
 * ```
 *
 * @param label   Shown in every test name.
 * @param factory Returns a fresh storage isolated from every other one it returned (its own directory,
 *                prefix, key space or schema); called once or more per test.
 * @param options What the backend cannot do (`skip`, each with a reason), the `backdoor`, `destroy`.
 */
export function describeSessionStorage<S extends SessionStorage>(
  label: string,
  factory: () => S | Promise<S>,
  options: ConformanceOptions<S> = {},
): void {
  describe(`SessionStorage conformance: ${label}`, () => {
    const made: S[] = [];
    afterEach(async () => {
      for (const storage of made.splice(0)) await options.destroy?.(storage);
    });
    const ctx: SpecContext<S> = {
      fresh: async () => {
        const storage = await factory();
        made.push(storage);
        return storage;
      },
      options,
      ...(options.backdoor === undefined ? {} : { backdoor: options.backdoor }),
    };
    for (const concern of CONCERNS) {
      const { title, spec, needsBackdoor } = SPECS[concern];
      const reason =
        options.skip?.[concern] ?? (needsBackdoor && !options.backdoor ? 'no backdoor was given' : undefined);
      if (reason !== undefined) {
        describe(`${title} [${concern}]`, () => {
          it.skip(`skipped: ${reason}`, () => {});
        });
        continue;
      }
      describe(`${title} [${concern}]`, { timeout: options.timeoutMs ?? 60_000 }, () => spec(ctx));
    }
  });
}
