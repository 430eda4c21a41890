import type { SessionStorage } from '@channelcoder/session-core';
import { CONCERNS, type Concern, type ConformanceOptions, type SpecContext } from './options.js';
import type { ConformanceRunner } from './runner.js';
import { registerWith } from './spec-api.js';
import { agentSessionStoreSpec } from './specs/agent-session-store.js';
import { clearSpec } from './specs/clear.js';
import { closeSpec } from './specs/close.js';
import { concurrencySpec } from './specs/concurrency.js';
import { conflictSpec } from './specs/conflict.js';
import { corruptionSpec } from './specs/corruption.js';
import { deleteTranscriptSpec } from './specs/delete-transcript.js';
import { formatUpgradeSpec } from './specs/format-upgrade.js';
import { incrementalSpec } from './specs/incremental.js';
import { leaseSpec } from './specs/lease.js';
import { listSpec } from './specs/list.js';
import { listProjectSpec } from './specs/list-project.js';
import { namesSpec } from './specs/names.js';
import { peekLeaseSpec } from './specs/peek-lease.js';
import { readRevisionSpec } from './specs/read-revision.js';
import { removeExistsSpec } from './specs/remove-exists.js';
import { roundTripSpec } from './specs/round-trip.js';
import { saveWithoutNameSpec } from './specs/save-without-name.js';
import { searchSpec } from './specs/search.js';
import { transcriptsSpec } from './specs/transcripts.js';
import { trashSpec } from './specs/trash.js';

type Spec = <S extends SessionStorage>(ctx: SpecContext<S>) => void;

const SPECS: Record<Concern, { title: string; spec: Spec; needsBackdoor?: boolean }> = {
  roundTrip: { title: 'round-trip fidelity', spec: roundTripSpec },
  names: { title: 'session names', spec: namesSpec },
  saveWithoutName: { title: 'save without a name', spec: saveWithoutNameSpec },
  list: { title: 'list', spec: listSpec },
  listProject: { title: 'list({ projectKey }) (listFilters)', spec: listProjectSpec },
  corruption: { title: 'corrupt entries', spec: corruptionSpec, needsBackdoor: true },
  removeExists: { title: 'remove and exists', spec: removeExistsSpec },
  conflict: { title: 'revision conflicts', spec: conflictSpec },
  incremental: { title: 'incremental saves', spec: incrementalSpec },
  clear: { title: 'clear() then save', spec: clearSpec },
  concurrency: { title: 'concurrent saves', spec: concurrencySpec },
  formatUpgrade: { title: 'format upgrades', spec: formatUpgradeSpec, needsBackdoor: true },
  close: { title: 'close()', spec: closeSpec },
  transcripts: { title: 'transcripts (optional capability)', spec: transcriptsSpec },
  lease: { title: 'leases (optional capability)', spec: leaseSpec },
  search: { title: 'search (the storage own, else the scan)', spec: searchSpec },
  agentSessionStore: {
    title: 'Claude Agent SDK sessionStore through toAgentSessionStore (transcript capability)',
    spec: agentSessionStoreSpec,
  },
  trash: { title: 'trash (optional capability)', spec: trashSpec },
  readRevision: { title: 'readRevision (optional capability)', spec: readRevisionSpec },
  peekLease: { title: 'peekLease (optional capability)', spec: peekLeaseSpec },
  deleteTranscript: { title: 'deleteTranscript (optional capability)', spec: deleteTranscriptSpec },
};

/**
 * Declares the conformance suite for a storage adapter on the caller's test runner. Call it at the top
 * level of a test file:
 *
 * ```ts
 * import { afterEach, describe, it } from 'node:test'; // or 'bun:test', '@jest/globals', 'vitest'
 * sessionStorageConformance({ describe, it, afterEach }, 'MyStorage', () => new MyStorage({ prefix: uniquePrefix() }), {
 *   backdoor: (s) => ({ corrupt: …, plant: … }),
 *   destroy: (s) => s.close(),
 * });
 * ```
 *
 * With vitest, `describeSessionStorage` from `@channelcoder/storage-conformance/vitest` does the same
 * without the first argument.
 *
 * @param runner  The runner's `describe`, `it` and `afterEach`.
 * @param label   Shown in every test name.
 * @param factory Returns a fresh storage isolated from every other one it returned (its own directory,
 *                prefix, key space or schema); called once or more per test.
 * @param options What the backend cannot do (`skip`, each with a reason), the `backdoor`, `destroy`.
 */
export function sessionStorageConformance<S extends SessionStorage>(
  runner: ConformanceRunner,
  label: string,
  factory: () => S | Promise<S>,
  options: ConformanceOptions<S> = {},
): void {
  if (typeof runner !== 'object' || runner === null || typeof runner.it !== 'function') {
    throw new TypeError(
      'sessionStorageConformance(runner, label, factory, options): the first argument must be { describe, it, afterEach } from your test runner (with vitest, import describeSessionStorage from "@channelcoder/storage-conformance/vitest")',
    );
  }
  const { describe, it, afterEach } = runner;
  const timeoutMs = options.timeoutMs ?? 60_000;
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
          if (it.skip) it.skip(`skipped: ${reason}`, () => {});
          else it(`skipped: ${reason}`, async () => {});
        });
        continue;
      }
      describe(`${title} [${concern}]`, () => registerWith(runner, timeoutMs, () => spec(ctx)));
    }
  });
}
