/**
 * Errors in the CLI's words. The SDK's typed errors tell a program what to call (`session.list()`,
 * `.result`, option names); on the command line the same advice names `channelcoder` commands and flags.
 */
import {
  ClaudeRunError,
  LeaseLostError,
  SessionBusyError,
  SessionConflictError,
  SessionCorruptError,
  SessionNotFoundError,
  SessionSaveError,
} from '@channelcoder/session-core';

/** What the message may refer to: the directory the command ran in. */
export interface MessageContext {
  cwd: string;
}

const SDK_NOT_FOUND_HINT =
  'Check the name with session.list(), or create it by saving a new session under that name.';
const SDK_RUN_HINT = 'The result line and stderr are on the error (resultLine, stderr).';
const SDK_TIMEOUT_HINT = 'Raise the timeout option if the task needs longer.';
const SDK_LEASE_HINT = 'load the session again and retry the turn.';
const SDK_CORRUPT_HINT = 'restore it from a backup or remove the session.';
const SDK_AMBIGUOUS_SAVE = 'load the session before saving again';
const SDK_TEMPLATE_HINTS = [
  ' (or pass `session` when rendering)',
  ', or `allowPermissions: true` when rendering',
];

/** The message to print for `err` (without the `channelcoder:` prefix). */
export function cliMessage(err: unknown, context: MessageContext): string {
  const message = err instanceof Error ? err.message : String(err);
  if (SessionSaveError.is(err)) return saveFailed(err, context);
  if (SessionNotFoundError.is(err)) {
    return message.replace(
      SDK_NOT_FOUND_HINT,
      `List the saved sessions with \`channelcoder session list\`, or start one with \`channelcoder run PROMPT --session ${err.sessionName}\`.`,
    );
  }
  if (SessionConflictError.is(err)) {
    const name = err.sessionName;
    return (
      `${conflictWhat(err)}, so this command did not overwrite it. See what it holds with ` +
      `\`channelcoder session show ${name}\`, then continue it with \`channelcoder run PROMPT --load-session ${name}\`.`
    );
  }
  if (ClaudeRunError.is(err)) {
    return message
      .replace(SDK_RUN_HINT, "Run the command again with CHANNELCODER_DEBUG=1 to see Claude Code's stderr.")
      .replace(SDK_TIMEOUT_HINT, 'Give it longer with --timeout SECONDS.');
  }
  if (LeaseLostError.is(err)) return message.replace(SDK_LEASE_HINT, 'run the command again.');
  if (SessionBusyError.is(err)) {
    return `${message} (\`--wait SECONDS\` waits longer; \`--no-wait\` fails at once.)`;
  }
  if (SessionCorruptError.is(err)) {
    return message.replace(
      SDK_CORRUPT_HINT,
      `restore it from a backup, or remove it with \`channelcoder session remove ${err.sessionName} --yes\`.`,
    );
  }
  let text = message.replace(
    SDK_AMBIGUOUS_SAVE,
    'see whether it was with `channelcoder session show NAME` before running the turn again',
  );
  for (const hint of SDK_TEMPLATE_HINTS) text = text.replace(hint, '');
  return text;
}

/**
 * Another writer saved the session between this command's read and its write: a second command started
 * the same `--session NAME` at the same moment, or continued it. This command wrote nothing over it.
 */
function conflictWhat(err: SessionConflictError): string {
  const name = err.sessionName;
  return err.expectedRevision === 0
    ? `Session "${name}" was created by another command while this one ran`
    : `Session "${name}" was saved by another command while this one ran (this command started from ` +
        `revision ${err.expectedRevision}, revision ${err.actualRevision} is stored)`;
}

/** A paid turn whose save failed: the answer was printed; say where the turn is kept and what to run. */
function saveFailed(err: SessionSaveError, context: MessageContext): string {
  const name = err.sessionName;
  const cause = err.cause;
  const head = `The turn in session "${name}" completed and its answer is printed above, but saving it failed`;
  if (SessionConflictError.is(cause)) {
    return (
      `${head}: ${conflictWhat(cause)}, and this turn was not stored in it. The turn stays in Claude Code's transcript: \`channelcoder session adopt --project ${quote(context.cwd)}\` ` +
      'keeps it as a session of its own.'
    );
  }
  const why = cliMessage(cause, context).replace(/\.+$/, '');
  return (
    `${head}: ${why}. The turn stays in Claude Code's transcript: the next ` +
    `\`channelcoder run PROMPT --load-session ${name}\` in this directory records it before its own.`
  );
}

function quote(path: string): string {
  return /^[\w./@:-]+$/.test(path) ? path : `'${path.replace(/'/g, "'\\''")}'`;
}

/**
 * The line after an interactive turn. Claude Code's own last line offers `claude --resume <id>`: this says
 * which command continues the session (and records what is said there).
 */
export function recordedAfterInteractive(name: string, messageCount: number, continueWith: string): string {
  return (
    `Recorded in session ${name} (${messageCount} messages). To continue it, run \`${continueWith}\`: ` +
    'the `claude --resume` shown above resumes the conversation outside the session.'
  );
}
