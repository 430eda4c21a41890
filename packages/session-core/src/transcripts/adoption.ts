/**
 * Adopting Claude Code sessions made outside this project (bare `claude -p`, the Agent SDK, the TUI): what a
 * transcript says about its turns (prompt, final answer, tokens, cost), a stable name for it, and where the
 * transcripts are. The CLI writes a `cost-state` line with the conversation's cumulative cost after each run;
 * a turn's cost is the difference from the previous one, so the per-turn costs add up to the CLI's total.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isValidSessionName } from '../names.js';

/** One prompt and what came of it. */
export interface TranscriptTurn {
  prompt: string;
  /** The text of the last assistant message of the turn (what `claude -p` prints). */
  answer: string;
  at: Date;
  /** Undefined when no cost line followed the turn (the process ended before writing it). */
  costUsd?: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheCreationTokens: number;
}

export interface TranscriptSummary {
  claudeSessionId: string;
  cwd?: string;
  created?: Date;
  turns: TranscriptTurn[];
  /** The CLI's cumulative cost at the last `cost-state` line, when there is one. */
  totalCostUsd?: number;
}

interface Entry {
  type?: unknown;
  uuid?: unknown;
  timestamp?: unknown;
  cwd?: unknown;
  isSidechain?: unknown;
  isMeta?: unknown;
  totalCostUSD?: unknown;
  message?: {
    id?: unknown;
    content?: unknown;
    usage?: {
      input_tokens?: number;
      output_tokens?: number;
      cache_read_input_tokens?: number;
      cache_creation_input_tokens?: number;
    };
  };
}

/** The turns of a transcript (main conversation only; sub-agent and meta entries are skipped). Pure. */
export function summarizeTranscript(claudeSessionId: string, entries: Iterable<unknown>): TranscriptSummary {
  const summary: TranscriptSummary = { claudeSessionId, turns: [] };
  let turn: TranscriptTurn | undefined;
  let answerId: unknown;
  const usageById = new Map<unknown, NonNullable<NonNullable<Entry['message']>['usage']>>();
  const closeUsage = () => {
    if (turn === undefined) return;
    for (const usage of usageById.values()) {
      turn.inputTokens += usage.input_tokens ?? 0;
      turn.outputTokens += usage.output_tokens ?? 0;
      turn.cacheReadTokens += usage.cache_read_input_tokens ?? 0;
      turn.cacheCreationTokens += usage.cache_creation_input_tokens ?? 0;
    }
    usageById.clear();
  };
  let previousTotal = 0;
  for (const raw of entries) {
    if (typeof raw !== 'object' || raw === null) continue;
    const entry = raw as Entry;
    if (entry.type === 'cost-state' && typeof entry.totalCostUSD === 'number') {
      const total = entry.totalCostUSD;
      const delta = total >= previousTotal ? total - previousTotal : total;
      previousTotal = total;
      summary.totalCostUsd = total;
      if (turn !== undefined) turn.costUsd = (turn.costUsd ?? 0) + delta;
      continue;
    }
    if (entry.isSidechain === true || entry.isMeta === true) continue;
    if (summary.cwd === undefined && typeof entry.cwd === 'string') summary.cwd = entry.cwd;
    const at = typeof entry.timestamp === 'string' ? new Date(entry.timestamp) : undefined;
    if (entry.type === 'user') {
      const prompt = promptOf(entry.message?.content);
      if (prompt === undefined) continue;
      closeUsage();
      turn = {
        prompt,
        answer: '',
        at: at ?? new Date(0),
        inputTokens: 0,
        outputTokens: 0,
        cacheReadTokens: 0,
        cacheCreationTokens: 0,
      };
      summary.turns.push(turn);
      summary.created ??= turn.at;
      answerId = undefined;
    } else if (entry.type === 'assistant' && turn !== undefined) {
      const id = entry.message?.id;
      if (entry.message?.usage !== undefined) usageById.set(id ?? usageById.size, entry.message.usage);
      const text = textOf(entry.message?.content);
      if (text === undefined) continue;
      // Each content block is its own line: blocks of one message join, a later message replaces them.
      turn.answer = id !== undefined && id === answerId ? `${turn.answer}${text}` : text;
      answerId = id;
      if (at !== undefined) turn.at = at;
    }
  }
  closeUsage();
  return summary;
}

function promptOf(content: unknown): string | undefined {
  if (typeof content === 'string') return content.trim() === '' ? undefined : content;
  if (!Array.isArray(content)) return undefined;
  const texts = (content as Array<{ type?: unknown; text?: unknown }>)
    .filter((b) => b?.type === 'text' && typeof b.text === 'string')
    .map((b) => b.text as string);
  const text = texts.join('\n');
  return text.trim() === '' ? undefined : text;
}

function textOf(content: unknown): string | undefined {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return undefined;
  const texts = (content as Array<{ type?: unknown; text?: unknown }>)
    .filter((b) => b?.type === 'text' && typeof b.text === 'string')
    .map((b) => b.text as string);
  return texts.length === 0 ? undefined : texts.join('');
}

/**
 * The name of an adopted session: a slug of its first prompt (at most 40 characters) and the first 8
 * characters of its Claude id, e.g. `fix-the-login-bug-3f1c1a52`. The same transcript always gets the same
 * name; `taken(name)` reports a name held by another session, and then more of the id is used.
 */
export function adoptedSessionName(
  firstPrompt: string | undefined,
  claudeSessionId: string,
  taken: (name: string) => boolean = () => false,
): string {
  const slug =
    (firstPrompt ?? '')
      .toLowerCase()
      .normalize('NFKD')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40)
      .replace(/-+$/, '') || 'session';
  const id = claudeSessionId.replace(/[^A-Za-z0-9]/g, '');
  for (const length of [8, 12, 16, id.length]) {
    const name = `${slug}-${id.slice(0, length)}`;
    if (isValidSessionName(name) && !taken(name)) return name;
  }
  return `${slug}-${id}`;
}

const TRANSCRIPT_FILE = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.jsonl$/;

export interface FoundTranscript {
  claudeSessionId: string;
  path: string;
  modified: Date;
}

/**
 * The CLI's transcripts under `<configDir>/projects/` (every project folder, or only `folders`), modified at
 * or after `since`; sub-agent transcripts (`<id>/subagents/…`) are not conversations of their own. Sorted by
 * modification time, oldest first. A missing `projects/` folder is an empty result.
 */
export async function findClaudeTranscripts(
  configDir: string,
  options: { folders?: readonly string[]; since?: Date } = {},
): Promise<FoundTranscript[]> {
  const projects = join(configDir, 'projects');
  let folders: string[];
  try {
    folders = options.folders === undefined ? await readdir(projects) : [...options.folders];
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const found: FoundTranscript[] = [];
  for (const folder of folders) {
    let names: string[];
    try {
      names = await readdir(join(projects, folder));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') continue;
      throw err;
    }
    for (const name of names) {
      const match = TRANSCRIPT_FILE.exec(name);
      if (match === null) continue;
      const path = join(projects, folder, name);
      const info = await stat(path);
      if (!info.isFile() || (options.since !== undefined && info.mtime < options.since)) continue;
      found.push({ claudeSessionId: match[1] as string, path, modified: info.mtime });
    }
  }
  return found.sort((a, b) => a.modified.getTime() - b.modified.getTime());
}
