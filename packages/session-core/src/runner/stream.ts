/** `stream`: the assistant's text as it arrives, then the result. */
import { InvalidArgumentError } from '../errors.js';
import { executeClaude } from './execute.js';
import { checkOptions } from './options-check.js';
import type { StreamEvent } from './stream-json.js';
import type { ClaudeResult, RunOptions, StreamChunk } from './types.js';

/**
 * A running turn. Iterate it (`for await`) for text chunks as the CLI prints them; the iteration ends when
 * the run ends, and throws the run's error if it failed. `result` gives the final result. The run starts
 * right away; chunks are buffered until read, so reading late loses nothing.
 */
export interface ClaudeStream extends AsyncIterable<StreamChunk> {
  /** Resolves with the final result once the run ends; rejects with the run's typed error. */
  readonly result: Promise<ClaudeResult>;
}

/** Options of `stream`; `includePartialMessages` makes the chunks token-sized deltas. */
export type StreamOptions = RunOptions;

/**
 * Starts one turn and streams its text. Without `includePartialMessages` a chunk is one assistant text
 * block; with it, a chunk is one token-level delta (and whole blocks are not repeated). The message the CLI
 * prints for a failed API call is not a chunk: the failure arrives as the typed error.
 */
export function stream(prompt: string, options: StreamOptions = {}): ClaudeStream {
  checkOptions(options, 'run', 'stream()');
  return createChunkStream((push) => {
    const partial = options.includePartialMessages === true;
    return executeClaude(prompt, options, (event) => {
      const chunk = chunkOf(event, partial);
      if (chunk) push(chunk);
    });
  });
}

/** The text chunk an event carries, if any. */
export function chunkOf(event: StreamEvent, partial: boolean): StreamChunk | undefined {
  if (event.type !== (partial ? 'text_delta' : 'assistant')) return undefined;
  if (event.type !== 'text_delta' && event.type !== 'assistant') return undefined;
  // The CLI's own report of a failed API call is not model output; the run's error carries it.
  if (event.type === 'assistant' && event.isApiError) return undefined;
  const content = event.text;
  if (content === '') return undefined;
  const chunk: StreamChunk = { type: 'text', content };
  if (event.sessionId !== undefined) chunk.sessionId = event.sessionId;
  return chunk;
}

/**
 * A ClaudeStream over any producer: `start` receives `push` for chunks and returns the promise of the
 * result. Used by the runner and by `session().stream()` (which records the turn before ending).
 */
export function createChunkStream(
  start: (push: (chunk: StreamChunk) => void) => Promise<ClaudeResult>,
): ClaudeStream {
  const buffered: StreamChunk[] = [];
  let done = false;
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };

  let result: Promise<ClaudeResult>;
  try {
    result = start((chunk) => {
      buffered.push(chunk);
      notify();
    });
  } catch (error) {
    result = Promise.reject(error);
  }
  result.then(
    () => {
      done = true;
      notify();
    },
    (error: unknown) => {
      failure = { error };
      done = true;
      notify();
    },
  );
  let iterating = false;

  return {
    result,
    async *[Symbol.asyncIterator]() {
      if (iterating) throw new InvalidArgumentError('A ClaudeStream can be iterated only once.');
      iterating = true;
      while (true) {
        const next = buffered.shift();
        if (next !== undefined) {
          yield next;
          continue;
        }
        if (done) {
          if (failure) throw failure.error;
          return;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    },
  };
}
