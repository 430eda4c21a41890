/**
 * Reading the CLI's own transcript of a conversation (`<config dir>/projects/<folder>/<id>.jsonl`), for
 * runs whose output went to a terminal: what the user typed, what the assistant answered, what it cost.
 */
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { RunOptions } from './types.js';

/** The CLI's config dir for these options: `CLAUDE_CONFIG_DIR`, else `$HOME/.claude`. */
export function claudeConfigDir(env: RunOptions['env']): string {
  const pick = (name: string) => (env && name in env ? env[name] : process.env[name]);
  const configured = pick('CLAUDE_CONFIG_DIR');
  if (configured !== undefined && configured !== '') return configured;
  return join(pick('HOME') || homedir(), '.claude');
}

/** Path of the transcript of `sessionId` in any folder under `projects/`, or undefined when there is none. */
export function findTranscript(sessionId: string, env: RunOptions['env']): string | undefined {
  const projects = join(claudeConfigDir(env), 'projects');
  if (!existsSync(projects)) return undefined;
  for (const entry of readdirSync(projects, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const candidate = join(projects, entry.name, `${sessionId}.jsonl`);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** One prompt the user typed and the assistant's text answer to it. */
export interface TranscriptExchange {
  prompt: string;
  text: string;
}

export interface TranscriptOutcome {
  /** The exchanges from `fromLine` on, in order. */
  exchanges: TranscriptExchange[];
  /** The conversation's cumulative cost as the CLI last recorded it. */
  totalCostUsd?: number;
}

/** Number of lines in a transcript (where a run that appends to it will start). */
export async function countTranscriptLines(path: string): Promise<number> {
  return (await readFile(path, 'utf8')).split('\n').filter((l) => l.trim() !== '').length;
}

/**
 * The exchanges a transcript records from line `fromLine` on. When `firstPrompt` is given, they start at
 * its last occurrence (a fork's transcript begins with a copy of its parent's history). Lines it does not
 * understand are skipped: the transcript is the CLI's internal format, so it is read defensively.
 */
export async function readTranscriptOutcome(
  path: string,
  options: { fromLine?: number; firstPrompt?: string } = {},
): Promise<TranscriptOutcome> {
  const lines = (await readFile(path, 'utf8')).split('\n').filter((l) => l.trim() !== '');
  let exchanges: TranscriptExchange[] = [];
  let totalCostUsd: number | undefined;
  const wanted = options.firstPrompt?.trim();
  for (const line of lines.slice(options.fromLine ?? 0)) {
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    const message = entry.message as { content?: unknown } | undefined;
    if (entry.type === 'user') {
      const prompt = typedPrompt(entry, message?.content);
      if (prompt === undefined) continue;
      if (wanted !== undefined && wanted !== '' && prompt.trim() === wanted) exchanges = [];
      exchanges.push({ prompt, text: '' });
    } else if (entry.type === 'assistant' && Array.isArray(message?.content)) {
      const current = exchanges.at(-1);
      if (current === undefined) continue;
      for (const block of message.content as Array<{ type?: unknown; text?: unknown }>) {
        if (block?.type === 'text' && typeof block.text === 'string') current.text += block.text;
      }
    } else if (entry.type === 'cost-state' && typeof entry.totalCostUSD === 'number') {
      totalCostUsd = entry.totalCostUSD;
    }
  }
  const outcome: TranscriptOutcome = { exchanges };
  if (totalCostUsd !== undefined) outcome.totalCostUsd = totalCostUsd;
  return outcome;
}

/** The text of a user entry the user typed; undefined for tool results, meta entries and command echoes. */
export function typedPrompt(entry: Record<string, unknown>, content: unknown): string | undefined {
  if (entry.isMeta === true) return undefined;
  let text: string | undefined;
  if (typeof content === 'string') text = content;
  else if (Array.isArray(content)) {
    const blocks = content as Array<{ type?: unknown; text?: unknown }>;
    if (blocks.some((b) => b?.type === 'tool_result')) return undefined;
    text = blocks
      .filter((b) => b?.type === 'text' && typeof b.text === 'string')
      .map((b) => b.text as string)
      .join('');
  }
  if (text === undefined || /^<(command-|local-command-)/.test(text)) return undefined;
  return text;
}
