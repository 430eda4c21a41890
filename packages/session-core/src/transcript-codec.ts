/**
 * How adapters that keep bytes (file, Redis, S3) store a batch of transcript lines compressed. Each
 * `appendTranscript` batch is encoded on its own, so an append stays incremental: it never rereads or
 * rewrites what is stored. A chunk is `CCZ1`, one method byte, then the compressed text of the batch's
 * JSON lines joined by `\n`:
 *
 * - method 0: raw deflate with the first preset dictionary (written by earlier versions; still read);
 * - method 1: Brotli;
 * - method 2: raw deflate with the second preset dictionary: the lines Claude Code writes every turn
 *   (prompt, answer, tool call and result, API request, cost state, queue and prompt markers) with their
 *   ids, times and texts left out.
 *
 * A batch up to 8 KiB is written with method 2; one up to 64 KiB with method 2 or Brotli, whichever is
 * smaller; a larger one with Brotli. The dictionaries never change: a new one comes with a new method.
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
const METHOD_DEFLATE_DICTIONARY_2 = 2;
/** Batches up to this many bytes use deflate with the dictionary only. */
const DICTIONARY_LIMIT = 8 * 1024;
/** Batches up to this many bytes are also tried with Brotli (the smaller wins); larger ones use Brotli. */
const BOTH_LIMIT = 64 * 1024;

/**
 * Method 0's dictionary. Never change it: chunks stored with method 0 decode with exactly these bytes.
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

/**
 * Method 2's dictionary (never change it either): templates of the lines Claude Code 2.1 writes on every
 * turn, ids, times and texts left empty, the most frequent last (closest to the data).
 */
const DICTIONARY_2 = Buffer.from(
  [
    '{"type":"api-request","sessionId":"","id":"","timestamp":"2026-","version":"2.1.","querySource":"sdk","shapeHash":"","params":{"model":"claude-opus-4-5","betas":["claude-code-20250219","interleaved-thinking-2025-05-14","context-management-2025-06-27","fine-grained-tool-streaming-2025-05-14","advanced-tool-use-2025-11-20","effort-2025-11-24"],"max_tokens":32000,"thinking":{"type":"adaptive","display":"updates"},"context_management":{"edits":[{"type":"clear_thinking_20251015","keep":"all"}]},"output_config":{"effort":"medium"}},"keep":0,"tail":["","",""],"cacheControl":[{"path":["system",0],"value":{"type":"ephemeral"}},{"path":["messages",1,"content",0],"value":{"type":"ephemeral"}}],"requestDigest":"',
    '{"type":"cost-state","sessionId":"","totalCostUSD":0,"totalAPIDuration":0,"totalAPIDurationWithoutRetries":0,"totalToolDuration":0,"totalLinesAdded":0,"totalLinesRemoved":0,"totalDuration":0,"startTime":0,"modelUsage":{"claude-sonnet-4-5":{"inputTokens":0,"outputTokens":0,"thinkingTokens":0,"cacheReadInputTokens":0,"cacheCreationInputTokens":0,"cacheCreationEphemeral5mInputTokens":0,"cacheCreationEphemeral1hInputTokens":0,"webSearchRequests":0,"costUSD":0}},"hasUnknownModelCost":false}',
    '{"type":"summary","summary":"","leafUuid":"',
    '"type":"thinking","thinking":"","signature":"',
    ',"thinkingDurationMs":0,"thinkingDisplay":"updates",',
    '"toolUseResult":{"stdout":"","stderr":"","interrupted":false,"isImage":false}',
    '"toolUseResult":{"type":"text","file":{"filePath":"/","content":"","numLines":0,"startLine":1,"totalLines":0}},',
    '"sourceToolAssistantUUID":"","permissionDecision":{"decision":"accept","source":"config","reasonType":"rule","ruleSource":"cliArg"},',
    '"type":"tool_use","id":"toolu_01","name":"Bash","input":{"command":"","description":"',
    '"type":"tool_use","id":"toolu_01","name":"Read","input":{"file_path":"/',
    '"type":"tool_use","id":"toolu_01","name":"Edit","input":{"file_path":"/","old_string":"","new_string":"',
    '"type":"tool_use","id":"toolu_01","name":"Grep","input":{"pattern":"","path":"/","output_mode":"content"',
    '"message":{"role":"user","content":[{"tool_use_id":"toolu_01","type":"tool_result","content":"","is_error":false}]},"uuid":"',
    '"stop_reason":"tool_use","stop_sequence":null,',
    ',"toolInputStreamMs":0,"apiBlockIndex":0,',
    '{"type":"queue-operation","operation":"dequeue","timestamp":"2026-","sessionId":"',
    '{"type":"queue-operation","operation":"enqueue","timestamp":"2026-","sessionId":"","content":"',
    '{"type":"last-prompt","lastPrompt":"","leafUuid":"","sessionId":"',
    '{"type":"tools-used","tools":["Bash","Read"],"sessionId":"',
    '{"type":"mode","mode":"normal","sessionId":"',
    '{"type":"atis-latch","atis":"","sessionId":"',
    '"promptId":"","type":"user","message":{"role":"user","content":""},"uuid":"","timestamp":"2026-","permissionMode":"default","promptSource":"sdk","turnOrigin":"sdk","turnPosition":{"promptIndex":0,"turnIndex":1},',
    '"message":{"id":"msg_01","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":""}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":0,"output_tokens_details":{"thinking_tokens":0},"server_tool_use":{"web_search_requests":0,"web_fetch_requests":0},"service_tier":"standard","cache_creation":{"ephemeral_1h_input_tokens":0,"ephemeral_5m_input_tokens":0},"inference_geo":"","iterations":[],"speed":"standard","fallback_credit":null},"stop_details":null},"apiBlockIndex":0,"requestId":"req_011C","requestRef":"","requestedModel":"claude-sonnet-4-5","promptCacheRequested":"5m","type":"assistant","uuid":"","timestamp":"2026-","effort":"medium","perTurnEffort":"medium","madeBy":"model",',
    '"userType":"external","entrypoint":"sdk-cli","cwd":"/","sessionId":"","version":"2.1.","gitBranch":"main"}',
    '{"parentUuid":"","isSidechain":false,',
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
 * Brotli's quality for chunks: 5 compresses recorded transcripts within 1% of quality 9 at about a
 * seventeenth of its time (an append pays this on every batch).
 */
const BROTLI_QUALITY = 5;

/**
 * Encodes one batch of transcript lines (JSON text without newlines, e.g. `JSON.stringify(entry)`).
 * An empty batch encodes to a chunk that decodes to `[]`.
 */
export function encodeTranscriptChunk(lines: readonly string[]): Buffer {
  const text = Buffer.from(lines.length === 0 ? '' : `${lines.join('\n')}\n`, 'utf8');
  const deflated =
    text.length <= BOTH_LIMIT ? deflateRawSync(text, { dictionary: DICTIONARY_2, level: 9 }) : undefined;
  if (deflated !== undefined && text.length <= DICTIONARY_LIMIT)
    return Buffer.concat([MAGIC, Buffer.of(METHOD_DEFLATE_DICTIONARY_2), deflated]);
  const body = brotliCompressSync(text, {
    params: {
      [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
      [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY,
      [constants.BROTLI_PARAM_SIZE_HINT]: text.length,
    },
  });
  if (deflated !== undefined && deflated.length < body.length)
    return Buffer.concat([MAGIC, Buffer.of(METHOD_DEFLATE_DICTIONARY_2), deflated]);
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
    if (method === METHOD_DEFLATE_DICTIONARY_2)
      return inflateRawSync(body, { dictionary: DICTIONARY_2 }).toString('utf8');
  } catch (error) {
    throw corrupt(`does not decompress (${(error as Error).message})`, error);
  }
  throw corrupt(
    `uses compression method ${method}, which this version cannot read (upgrade @channelcoder/session-core)`,
  );
}
