/**
 * Catching a session object up with what is stored, when the stored revision moved on: another process ran
 * a turn meanwhile, or a save of ours that failed ambiguously (a timeout) had in fact landed. Pure.
 */
import { emptyUsage, type Message, type SessionState, type UsageLedger } from '../state.js';

/**
 * The state to continue with: the stored one, plus the messages of `local` the storage does not have (a
 * turn whose save failed). `saved` is what `local` had when it last matched the storage (its ledger and
 * message count); the unsaved turns' share of the ledger is added to the stored ledger. Messages are matched by id, so a turn
 * both sides recorded (the same recovered turn, a save that landed) is kept once.
 */
export function reconcileWithStored(
  local: SessionState,
  stored: SessionState,
  saved: { usage: UsageLedger; messageCount: number },
): SessionState {
  const storedIds = new Set(stored.messages.map((m) => m.id));
  const unsaved = local.messages.filter((m) => !storedIds.has(m.id));
  const next: SessionState = structuredClone(stored);
  // Keep what this object was told that the storage does not decide (a cwd given to load()).
  if (local.metadata.cwd !== undefined) next.metadata.cwd = local.metadata.cwd;
  if (unsaved.length === 0) return next;

  next.messages.push(...structuredClone(unsaved));
  // Every unsaved message missing: the exact ledger difference applies; only some: count what they carry.
  const sinceSave = local.messages.slice(saved.messageCount);
  const allMissing =
    sinceSave.length === unsaved.length && sinceSave.every((m, i) => m.id === unsaved[i]?.id);
  const delta = allMissing ? ledgerDifference(local.usage, saved.usage) : ledgerOf(unsaved);
  for (const key of Object.keys(delta) as (keyof UsageLedger)[]) next.usage[key] += delta[key];
  for (const m of unsaved) {
    if (m.sessionId === '') continue;
    if (next.sessionChain.at(-1) !== m.sessionId) next.sessionChain.push(m.sessionId);
    next.currentSessionId = m.sessionId;
  }
  const lastAt = unsaved.at(-1)?.timestamp;
  if (lastAt !== undefined && lastAt > next.metadata.lastActive) next.metadata.lastActive = new Date(lastAt);
  if (local.metadata.transcriptError !== undefined)
    next.metadata.transcriptError = local.metadata.transcriptError;
  return next;
}

function ledgerDifference(a: UsageLedger, b: UsageLedger): UsageLedger {
  const out = emptyUsage();
  for (const key of Object.keys(out) as (keyof UsageLedger)[]) out[key] = Math.max(0, a[key] - b[key]);
  return out;
}

/** What a run of messages adds to a ledger (cache tokens are not kept per message, so they count 0). */
function ledgerOf(messages: readonly Message[]): UsageLedger {
  const out = emptyUsage();
  for (const m of messages) {
    if (m.role === 'user') {
      out.turns += 1;
      if (m.turn?.isError === true) out.failedTurns += 1;
    }
    out.totalCostUsd += m.turn?.costUsd ?? 0;
    out.inputTokens += m.turn?.inputTokens ?? 0;
    out.outputTokens += m.turn?.outputTokens ?? 0;
    out.durationMs += m.turn?.durationMs ?? 0;
  }
  return out;
}
