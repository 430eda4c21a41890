/**
 * Importing the CLI's own transcripts as named sessions (`channelcoder session adopt`): new transcripts become
 * sessions tagged `adopted`, with their turns, tokens, costs and the transcript itself; a transcript adopted
 * before that has grown adds only its new turns and lines; one that belongs to a session made through this
 * project is left to that session's own mirroring. Running it twice adds nothing the second time.
 */
import { recordTurn } from '../chain.js';
import { createSessionState, type SessionState } from '../state.js';
import type { SessionStorage } from '../storage.js';
import {
  adoptedSessionName,
  type FoundTranscript,
  summarizeTranscript,
  type TranscriptTurn,
} from './adoption.js';
import { readTranscriptLines } from './local-transcript.js';

/** The tag every adopted session carries. */
export const ADOPTED_TAG = 'adopted';

export interface AdoptOutcome {
  claudeSessionId: string;
  /** The session it went into (or belongs to). */
  name: string;
  /**
   * `added`: a new session; `grown`: new turns added to an adopted session; `unchanged`: nothing new;
   * `project`: the conversation belongs to a session made through this project (not touched); `empty`: a
   * transcript without a prompt.
   */
  action: 'added' | 'grown' | 'unchanged' | 'project' | 'empty';
  turnsAdded: number;
}

/**
 * Adopts `transcripts` (from `findClaudeTranscripts`) into `storage`, in order.
 *
 * @throws the storage's errors (StorageUnavailableError, SessionConflictError when another writer changes an
 *   adopted session meanwhile); a transcript that cannot be read throws its file system error.
 */
export async function adoptTranscripts(
  storage: SessionStorage,
  transcripts: readonly FoundTranscript[],
  onProgress?: (done: number, total: number) => void,
): Promise<AdoptOutcome[]> {
  const owners = new Map<string, { name: string; adopted: boolean }>();
  const names = new Set<string>();
  for (const info of await storage.list()) {
    names.add(info.name);
    if (info.error !== undefined) continue;
    const state = await storage.load(info.name);
    const adopted = state.metadata.tags?.includes(ADOPTED_TAG) === true;
    for (const id of state.sessionChain)
      if (!owners.has(id) || !adopted) owners.set(id, { name: info.name, adopted });
  }
  const outcomes: AdoptOutcome[] = [];
  for (const [index, found] of transcripts.entries()) {
    const id = found.claudeSessionId;
    const owner = owners.get(id);
    if (owner !== undefined && !owner.adopted) {
      outcomes.push({ claudeSessionId: id, name: owner.name, action: 'project', turnsAdded: 0 });
    } else {
      const { entries } = await readTranscriptLines(found.path, id);
      const summary = summarizeTranscript(id, entries);
      if (owner !== undefined) outcomes.push(await grow(storage, owner.name, summary.turns, entries, id));
      else if (summary.turns.length === 0) {
        outcomes.push({ claudeSessionId: id, name: '', action: 'empty', turnsAdded: 0 });
      } else {
        const name = adoptedSessionName(summary.turns[0]?.prompt, id, (n) => names.has(n));
        let state = createSessionState({
          name,
          tags: [ADOPTED_TAG],
          now: summary.created ?? found.modified,
          ...(summary.cwd === undefined ? {} : { cwd: summary.cwd }),
        });
        state = recordTurns(state, id, summary.turns);
        await storage.save(state, name);
        if (typeof storage.appendTranscript === 'function')
          await storage.appendTranscript(name, id, entries, 0);
        names.add(name);
        owners.set(id, { name, adopted: true });
        outcomes.push({ claudeSessionId: id, name, action: 'added', turnsAdded: summary.turns.length });
      }
    }
    onProgress?.(index + 1, transcripts.length);
  }
  return outcomes;
}

async function grow(
  storage: SessionStorage,
  name: string,
  turns: TranscriptTurn[],
  entries: unknown[],
  id: string,
): Promise<AdoptOutcome> {
  const state = await storage.load(name);
  const known = state.usage.turns;
  let stored = 0;
  if (typeof storage.loadTranscript === 'function')
    stored = (await storage.loadTranscript(name, id))?.length ?? 0;
  if (turns.length <= known && entries.length <= stored) {
    return { claudeSessionId: id, name, action: 'unchanged', turnsAdded: 0 };
  }
  if (turns.length > known) await storage.save(recordTurns(state, id, turns.slice(known)), name);
  if (typeof storage.appendTranscript === 'function' && entries.length > stored) {
    await storage.appendTranscript(name, id, entries.slice(stored), stored);
  }
  return { claudeSessionId: id, name, action: 'grown', turnsAdded: Math.max(0, turns.length - known) };
}

function recordTurns(state: SessionState, id: string, turns: readonly TranscriptTurn[]): SessionState {
  let next = state;
  for (const turn of turns) {
    next = recordTurn(next, {
      prompt: turn.prompt,
      at: turn.at,
      result: {
        sessionId: id,
        text: turn.answer,
        // A turn with no cost line after it (the process ended first) is recorded at no known cost.
        costUsd: turn.costUsd ?? 0,
        inputTokens: turn.inputTokens,
        outputTokens: turn.outputTokens,
        cacheReadTokens: turn.cacheReadTokens,
        cacheCreationTokens: turn.cacheCreationTokens,
      },
    });
  }
  return next;
}
