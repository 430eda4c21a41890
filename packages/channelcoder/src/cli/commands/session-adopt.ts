/**
 * `session adopt`: imports the Claude Code CLI's own transcripts (`$CLAUDE_CONFIG_DIR/projects/…/<id>.jsonl`,
 * including those of bare `claude -p` runs and the Agent SDK) as named sessions, so they outlive the CLI's
 * 30-day cleanup and show up in list, show, search and stats.
 */
import { resolve } from 'node:path';
import {
  adoptTranscripts,
  claudeConfigDir,
  findClaudeTranscripts,
  projectFolderName,
} from '@channelcoder/session-core';
import { parseCommand, STORAGE_OPTIONS, stringOption } from '../args.js';
import { EXIT } from '../exit-codes.js';
import { HELP } from '../help.js';
import type { CliIo } from '../io.js';
import { storageSpecOf, withStorage } from '../storage.js';
import { UsageError } from '../usage-error.js';

const ADOPT_OPTIONS = {
  ...STORAGE_OPTIONS,
  all: { type: 'boolean' },
  since: { type: 'string' },
  project: { type: 'string' },
  json: { type: 'boolean' },
} as const;

export async function adoptCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseCommand('session adopt', args, ADOPT_OPTIONS, [0, 0]);
  if (values.help === true) {
    io.stdout.write(`${HELP['session adopt']}\n`);
    return EXIT.ok;
  }
  const project = stringOption(values, 'project');
  if (values.all === true && project !== undefined) {
    throw new UsageError('--all and --project exclude each other.', 'session adopt');
  }
  const sinceText = stringOption(values, 'since');
  const since = sinceText === undefined ? undefined : new Date(sinceText);
  if (since !== undefined && Number.isNaN(since.getTime())) {
    throw new UsageError(
      `--since expects a date (2026-11-01), got ${JSON.stringify(sinceText)}.`,
      'session adopt',
    );
  }
  const folders = values.all === true ? undefined : [projectFolderName(resolve(io.cwd, project ?? '.'))];
  const configDir = claudeConfigDir(io.env);
  const transcripts = await findClaudeTranscripts(configDir, {
    ...(folders === undefined ? {} : { folders }),
    ...(since === undefined ? {} : { since }),
  });
  const spec = storageSpecOf(values, io);
  return withStorage(spec, async ({ storage, label }) => {
    const tty = io.stderr.isTTY === true && values.json !== true;
    const outcomes = await adoptTranscripts(
      storage,
      transcripts,
      tty ? (done, total) => io.stderr.write(`\rAdopting ${done}/${total}…`) : undefined,
    );
    if (tty && transcripts.length > 0) io.stderr.write('\n');
    if (values.json === true) {
      io.stdout.write(`${JSON.stringify(outcomes, null, 2)}\n`);
      return EXIT.ok;
    }
    const count = (action: string) => outcomes.filter((o) => o.action === action).length;
    for (const o of outcomes.filter((x) => x.action === 'added' || x.action === 'grown')) {
      io.stdout.write(
        `${o.action === 'added' ? 'added' : 'grown'}  ${o.name}  (${o.turnsAdded} turn${o.turnsAdded === 1 ? '' : 's'})\n`,
      );
    }
    io.stdout.write(
      `${transcripts.length} transcript(s) in ${configDir}: ${count('added')} adopted into ${label}, ${count('grown')} grown, ` +
        `${count('unchanged')} unchanged, ${count('project')} already sessions of this project, ${count('empty')} empty.\n`,
    );
    return EXIT.ok;
  });
}
