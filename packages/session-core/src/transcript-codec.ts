/**
 * How adapters that keep bytes (file, Redis, S3) store a batch of transcript lines compressed. Each
 * `appendTranscript` batch is encoded on its own, so an append stays incremental: it never rereads or
 * rewrites what is stored. A chunk is `CCZ1`, one method byte, then the compressed text of the batch's
 * JSON lines joined by `\n`:
 *
 * - method 0: raw deflate with a preset dictionary of the fields Claude Code writes on every transcript
 *   line (small batches, where a dictionary matters most);
 * - method 1: Brotli (batches of 8 KiB and more).
 *
 * Decoding returns exactly the lines that were encoded (the same JSON text), and a chunk that does not
 * start with the magic is not compressed (what adapters stored before compression): callers keep reading
 * those as plain JSON lines.
 */
import {
  brotliCompressSync,
  brotliDecompressSync,
  constants,
  deflateRawSync,
  inflateRawSync,
} from 'node:zlib';
import { SessionCorruptError } from './errors.js';

const MAGIC = Buffer.from('CCZ1', 'latin1');
const METHOD_DEFLATE_DICTIONARY = 0;
const METHOD_BROTLI = 1;
/** Batches up to this many bytes use deflate with the dictionary; larger ones Brotli. */
const DICTIONARY_LIMIT = 8 * 1024;

/**
 * Fragments Claude Code writes on nearly every transcript line (deflate looks back at most 32 KiB; the
 * most frequent fragments go last, closest to the data).
 */
const DICTIONARY = Buffer.from(
  [
    '{"type":"summary","summary":"","leafUuid":"',
    '"type":"tool_use","id":"toolu_01',
    '"name":"Bash","input":{"command":"',
    '"name":"Read","input":{"file_path":"',
    '"name":"Edit","input":{"file_path":"',
    '"old_string":"","new_string":"',
    '"toolUseResult":{"stdout":"","stderr":"","interrupted":false,"isImage":false}',
    '[{"tool_use_id":"toolu_01","type":"tool_result","content":"","is_error":false}]',
    '"type":"thinking","thinking":"","signature":"',
    '"server_tool_use":{"web_search_requests":0,"web_fetch_requests":0}',
    '"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":0}',
    '"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":',
    ',"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":',
    ',"service_tier":"standard"}},"requestId":"req_011C',
    '"message":{"id":"msg_01","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929",',
    '"content":[{"type":"text","text":"',
    '"type":"user","message":{"role":"user","content":"',
    '"type":"assistant","uuid":"',
    '"isMeta":false,"permissionMode":"default",',
    '"timestamp":"2026-',
    '"version":"2.1.330","gitBranch":"main",',
    '{"parentUuid":null,"isSidechain":false,"userType":"external","cwd":"/',
    '","sessionId":"',
    '{"parentUuid":"',
    '","isSidechain":false,"userType":"external","cwd":"/',
  ].join(''),
  'utf8',
);

/** True when the bytes are a compressed chunk (start with the magic); false for plain JSON lines. */
export function isCompressedTranscriptChunk(chunk: Uint8Array): boolean {
  return (
    chunk.length >= MAGIC.length + 1 &&
    chunk[0] === MAGIC[0] &&
    chunk[1] === MAGIC[1] &&
    chunk[2] === MAGIC[2] &&
    chunk[3] === MAGIC[3]
  );
}

/**
 * Encodes one batch of transcript lines (JSON text without newlines, e.g. `JSON.stringify(entry)`).
 * An empty batch encodes to a chunk that decodes to `[]`.
 */
export function encodeTranscriptChunk(lines: readonly string[]): Buffer {
  const text = Buffer.from(lines.length === 0 ? '' : `${lines.join('\n')}\n`, 'utf8');
  if (text.length <= DICTIONARY_LIMIT) {
    const body = deflateRawSync(text, { dictionary: DICTIONARY, level: 9 });
    return Buffer.concat([MAGIC, Buffer.of(METHOD_DEFLATE_DICTIONARY), body]);
  }
  const body = brotliCompressSync(text, {
    params: {
      [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
      [constants.BROTLI_PARAM_QUALITY]: 9,
      [constants.BROTLI_PARAM_SIZE_HINT]: text.length,
    },
  });
  return Buffer.concat([MAGIC, Buffer.of(METHOD_BROTLI), body]);
}

/** Where a chunk lives, for the error when it cannot be read. */
export interface TranscriptChunkSource {
  /** The session the chunk belongs to. */
  sessionName: string;
  /** File path, key or object key of the chunk. */
  location?: string;
}

/**
 * The lines of a compressed chunk, exactly as encoded.
 * @throws SessionCorruptError when the bytes are not a chunk this version can read.
 */
export function decodeTranscriptChunk(chunk: Uint8Array, source?: TranscriptChunkSource): string[] {
  const text = decodeTranscriptChunkText(chunk, source);
  if (text.length === 0) return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** The chunk's text: its lines, each followed by `\n` (empty for an empty batch). */
export function decodeTranscriptChunkText(chunk: Uint8Array, source?: TranscriptChunkSource): string {
  const corrupt = (problem: string, cause?: unknown) =>
    new SessionCorruptError(source?.sessionName ?? '(unknown)', 'transcript chunk', problem, {
      ...(source?.location ? { location: source.location } : {}),
      ...(cause ? { cause } : {}),
    });
  if (!isCompressedTranscriptChunk(chunk)) throw corrupt('has no CCZ1 header');
  const method = chunk[MAGIC.length];
  const body = Buffer.from(
    chunk.buffer,
    chunk.byteOffset + MAGIC.length + 1,
    chunk.length - MAGIC.length - 1,
  );
  try {
    if (method === METHOD_DEFLATE_DICTIONARY)
      return inflateRawSync(body, { dictionary: DICTIONARY }).toString('utf8');
    if (method === METHOD_BROTLI) return brotliDecompressSync(body).toString('utf8');
  } catch (error) {
    throw corrupt(`does not decompress (${(error as Error).message})`, error);
  }
  throw corrupt(
    `uses compression method ${method}, which this version cannot read (upgrade @channelcoder/session-core)`,
  );
}
