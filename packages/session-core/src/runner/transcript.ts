/**
 * Reading the CLI's own transcript of a conversation (`<config dir>/projects/<folder>/<id>.jsonl`), for
 * runs whose output went to a terminal: what the assistant said last and what the conversation has cost.
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

export interface TranscriptOutcome {
  /** Text of the assistant's messages after the last prompt the user typed (`''` when none). */
  text: string;
  /** The conversation's cumulative cost as the CLI last recorded it. */
  totalCostUsd?: number;
}

/**
 * What a transcript shows at its end. Lines it does not understand are skipped: the transcript is the
 * CLI's internal format, so this reads it defensively and never fails on its content.
 */
export async function readTranscriptOutcome(path: string): Promise<TranscriptOutcome> {
  const lines = (await readFile(path, 'utf8')).split('\n');
  let texts: string[] = [];
  let totalCostUsd: number | undefined;
  for (const line of lines) {
    if (line.trim() === '') continue;
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    const message = entry.message as { content?: unknown } | undefined;
    if (entry.type === 'user' && typeof message?.content === 'string') texts = [];
    else if (entry.type === 'assistant' && Array.isArray(message?.content)) {
      for (const block of message.content as Array<{ type?: unknown; text?: unknown }>) {
        if (block?.type === 'text' && typeof block.text === 'string') texts.push(block.text);
      }
    } else if (entry.type === 'cost-state' && typeof entry.totalCostUSD === 'number') {
      totalCostUsd = entry.totalCostUSD;
    }
  }
  const outcome: TranscriptOutcome = { text: texts.join('') };
  if (totalCostUsd !== undefined) outcome.totalCostUsd = totalCostUsd;
  return outcome;
}
