// Transcript appends on s3rver with conditional writes enforced (what the adapter relies on), compared in one
// run with a minimal store of the published "one part per append" design (`reference` below): each append one
// PUT of the entries as plain JSONL under a fresh key, a load one LIST and a GET per part.
//   a. append time at entry 10 vs at entry 300: the median over interleaved rounds of each round's ratio
//      (target <= 1.2), beside the reference's own ratio in the same rounds (what the emulator adds)
//   b. 300 appends through the adapter vs through the reference, interleaved one by one with a second
//      reference store (same design, its own folder) as a control, the order of the three rotating through
//      all six permutations: the median of the 300 ratios adapter / reference (target <= 1.0) beside the
//      control's reference / reference (what the same design measures against itself: the noise floor), the
//      ratio of the totals, and the median client CPU time per append (process.cpuUsage around each call: what
//      this process spends, compression and bookkeeping included; s3rver runs in its own process)
// Ratios of medians of pairs, not of sums: one slow request on a loaded machine moves a sum, not a median.
//   c. stored bytes / raw JSONL bytes of a session of recorded real turns, one append per turn as a session
//      mirrors them (target <= 0.25): one turn of the real claude CLI against the in-repo mock API, repeated
//      with fresh uuids; the ratio of the one-entry appends of b is printed beside it
// Entries of a and b are shaped like the Claude Code CLI's transcript lines (user prompts, assistant text and
// tool use, tool results with output, usage blocks), generated with a fixed seed.
import { randomBytes, randomUUID } from 'node:crypto';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { createSessionState } from '@channelcoder/session-core';
import { S3SessionStorage } from '../dist/index.js';
import { entriesFromTurn, recordTurnLines } from './recorded-turn.mjs';

const ENTRIES = 300;
const SMALL_AT = 10;
const PAIRS = 61;
const RECORDED_TURNS = 20;
const PROJECT_KEY = '-home-dev-projects-shop-api';

let seed = 7;
const rand = () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
  return seed / 2_147_483_648;
};
const pick = (xs) => xs[Math.floor(rand() * xs.length)];
const WORDS =
  'the session storage append part transcript request bucket object key lease revision load save list index function returns error value test file line code change build package module type string number'.split(
    ' ',
  );
const prose = (n) => Array.from({ length: n }, () => pick(WORDS)).join(' ');

/** A transcript of `count` CLI-shaped entries (a user prompt, then assistant turns with tools). */
export function transcriptEntries(count, sessionId = randomUUID()) {
  const entries = [];
  let parent = null;
  for (let i = 0; i < count; i++) {
    const uuid = randomUUID();
    const base = {
      parentUuid: parent,
      isSidechain: false,
      userType: 'external',
      cwd: '/home/dev/projects/shop-api',
      sessionId,
      version: '2.1.330',
      gitBranch: 'main',
      uuid,
      timestamp: new Date(Date.UTC(2026, 11, 3, 8, 0, i)).toISOString(),
    };
    const kind = i % 4;
    if (kind === 0) {
      entries.push({
        ...base,
        type: 'user',
        message: { role: 'user', content: prose(12 + Math.floor(rand() * 30)) },
        isMeta: false,
        permissionMode: 'default',
      });
    } else if (kind === 2) {
      const toolId = `toolu_01${randomBytes(12).toString('base64url')}`;
      entries.push({
        ...base,
        type: 'user',
        message: {
          role: 'user',
          content: [
            {
              tool_use_id: toolId,
              type: 'tool_result',
              content: Array.from(
                { length: 6 + Math.floor(rand() * 20) },
                (_, j) => `src/${pick(WORDS)}/${pick(WORDS)}-${j}.ts: ${prose(8)}`,
              ).join('\n'),
              is_error: false,
            },
          ],
        },
        toolUseResult: { stdout: prose(20), stderr: '', interrupted: false, isImage: false },
      });
    } else {
      const toolUse = kind === 1;
      entries.push({
        ...base,
        type: 'assistant',
        requestId: `req_011C${randomBytes(12).toString('base64url')}`,
        message: {
          id: `msg_01${randomBytes(12).toString('base64url')}`,
          type: 'message',
          role: 'assistant',
          model: 'claude-sonnet-4-5-20250929',
          content: toolUse
            ? [
                { type: 'text', text: prose(15 + Math.floor(rand() * 25)) },
                {
                  type: 'tool_use',
                  id: `toolu_01${randomBytes(12).toString('base64url')}`,
                  name: pick(['Bash', 'Read', 'Edit']),
                  input: { command: `rg -n "${pick(WORDS)}" src/${pick(WORDS)}` },
                },
              ]
            : [{ type: 'text', text: prose(40 + Math.floor(rand() * 80)) }],
          stop_reason: toolUse ? 'tool_use' : 'end_turn',
          stop_sequence: null,
          usage: {
            input_tokens: 4 + Math.floor(rand() * 40),
            cache_creation_input_tokens: Math.floor(rand() * 3000),
            cache_read_input_tokens: Math.floor(rand() * 40_000),
            cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
            output_tokens: Math.floor(rand() * 600),
            service_tier: 'standard',
          },
        },
      });
    }
    parent = uuid;
  }
  return entries;
}

/**
 * The reference design: one PUT of plain JSONL per append under a unique, time-ordered key
 * `<prefix><project key>/<session id>/part-<time>-<counter>-<random>.jsonl`.
 */
class ReferenceStore {
  constructor(client, bucket, prefix) {
    this.client = client;
    this.bucket = bucket;
    this.prefix = prefix;
    this.counter = 0;
  }

  async append(sessionId, entries) {
    const key = `${this.prefix}${PROJECT_KEY}/${sessionId}/part-${String(Date.now()).padStart(15, '0')}-${String(this.counter++).padStart(6, '0')}-${randomBytes(3).toString('hex')}.jsonl`;
    const body = entries.map((e) => `${JSON.stringify(e)}\n`).join('');
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: body,
        ContentType: 'application/x-ndjson',
      }),
    );
  }
}

async function storedBytes(client, bucket, prefix) {
  let bytes = 0;
  let token;
  do {
    const out = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of out.Contents ?? []) bytes += o.Size ?? 0;
    token = out.IsTruncated ? out.NextContinuationToken : undefined;
  } while (token);
  return bytes;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sum = (xs) => xs.reduce((a, b) => a + b, 0);
const fmt = (n, digits = 2) => n.toFixed(digits);

async function timed(fn) {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/**
 * @param {import('@aws-sdk/client-s3').S3Client} client a client of an s3rver that enforces conditional writes
 * @param {string} bucket
 * @param {{ method: string }[]} log the client's request log (cleared here)
 */
export async function benchTranscripts(client, bucket, log) {
  const storage = new S3SessionStorage({ client, bucket, prefix: 'bench-transcripts/' });
  const reference = new ReferenceStore(client, bucket, 'bench-reference/');
  const control = new ReferenceStore(client, bucket, 'bench-control/');
  const state = createSessionState({ now: new Date(Date.UTC(2026, 0, 1)) });
  await storage.save(state, 'long');

  // b + c: 300 appends of one entry each, interleaved one by one with the reference (alternating who goes first).
  const claudeId = randomUUID();
  const entries = transcriptEntries(ENTRIES, claudeId);
  const ours = [];
  const theirs = [];
  const controls = [];
  const cpu = { ours: [], theirs: [], controls: [] };
  const requests = [];
  // Warm-up: the client's connections and the three folders exist before anything is timed.
  const warm = randomUUID();
  for (const [i, e] of transcriptEntries(5, warm).entries()) {
    await storage.appendTranscript('long', warm, [e], i);
    await reference.append(warm, [e]);
    await control.append(warm, [e]);
  }
  const measured = async (times, cpuTimes, fn) => {
    const cpu0 = process.cpuUsage();
    const ms = await timed(fn);
    const used = process.cpuUsage(cpu0);
    times.push(ms);
    cpuTimes.push((used.user + used.system) / 1000);
  };
  const steps = [
    (i) => async () => {
      log.length = 0;
      await measured(ours, cpu.ours, () =>
        storage.appendTranscript('long', claudeId, [entries[i]], i, { dedupe: 'uuid' }),
      );
      requests.push(log.length);
    },
    (i) => () => measured(theirs, cpu.theirs, () => reference.append(claudeId, [entries[i]])),
    (i) => () => measured(controls, cpu.controls, () => control.append(claudeId, [entries[i]])),
  ];
  const orders = [
    [0, 1, 2],
    [1, 2, 0],
    [2, 0, 1],
    [0, 2, 1],
    [2, 1, 0],
    [1, 0, 2],
  ];
  for (let i = 0; i < ENTRIES; i++) for (const k of orders[i % orders.length]) await steps[k](i)();
  const loaded = await storage.loadTranscript('long', claudeId);
  const same = JSON.stringify(loaded) === JSON.stringify(entries);
  const raw = sum(entries.map((e) => Buffer.byteLength(`${JSON.stringify(e)}\n`)));
  const stored = await storedBytes(
    client,
    bucket,
    `bench-transcripts/sessions/long/transcripts/${claudeId}/`,
  );
  const referenceBytes = await storedBytes(client, bucket, `bench-reference/${PROJECT_KEY}/${claudeId}/`);

  // a: interleaved pairs of one append to a transcript of 10 entries and one to a transcript of 300 (the one
  // above). Each small append goes to a transcript of its own holding exactly 10 entries.
  const smalls = [];
  for (let p = 0; p < PAIRS; p++) {
    const id = randomUUID();
    const lines = transcriptEntries(SMALL_AT + 1, id);
    for (let i = 0; i < SMALL_AT; i++) await storage.appendTranscript('long', id, [lines[i]], i);
    smalls.push({ id, next: lines[SMALL_AT] });
  }
  // The same entry shapes on both sides: entry n of a fresh transcript of the same generator.
  const more = smalls.map((small) => ({ ...small.next, sessionId: claudeId, uuid: randomUUID() }));
  // The same pairs through the reference store (a folder of 10 parts vs the one of 300 above): a control for
  // what the emulator itself adds as a folder fills.
  const refSmalls = [];
  for (let p = 0; p < PAIRS; p++) {
    const id = randomUUID();
    const lines = transcriptEntries(SMALL_AT, id);
    for (let i = 0; i < SMALL_AT; i++) await reference.append(id, [lines[i]]);
    refSmalls.push(id);
  }
  const atSmall = [];
  const atLarge = [];
  const refAtSmall = [];
  const refAtLarge = [];
  const pairRequests = [];
  for (let p = 0; p < PAIRS; p++) {
    const steps = [
      async () =>
        atSmall.push(
          await timed(() => storage.appendTranscript('long', smalls[p].id, [smalls[p].next], SMALL_AT)),
        ),
      async () =>
        atLarge.push(await timed(() => storage.appendTranscript('long', claudeId, [more[p]], ENTRIES + p))),
      async () => refAtSmall.push(await timed(() => reference.append(refSmalls[p], [smalls[p].next]))),
      async () => refAtLarge.push(await timed(() => reference.append(claudeId, [more[p]]))),
    ];
    log.length = 0;
    for (let k = 0; k < steps.length; k++) await steps[(k + p) % steps.length]();
    pairRequests.push(log.length);
  }
  // What a process that never read the transcript pays for its first append (it reads it once).
  const cold = new S3SessionStorage({ client, bucket, prefix: 'bench-transcripts/' });
  log.length = 0;
  const coldMs = await timed(() =>
    cold.appendTranscript('long', claudeId, transcriptEntries(1, claudeId), ENTRIES + PAIRS),
  );
  const coldRequests = log.length;

  // c: recorded turns, one append per turn.
  const turn = await recordTurnLines();
  let turnBytes;
  if (turn !== undefined) {
    const turnsId = randomUUID();
    const all = entriesFromTurn(turn, turn.length * RECORDED_TURNS, turnsId);
    for (let t = 0; t < RECORDED_TURNS; t++) {
      const from = t * turn.length;
      await storage.appendTranscript('long', turnsId, all.slice(from, from + turn.length), from);
    }
    const back = await storage.loadTranscript('long', turnsId);
    turnBytes = {
      lines: turn.length,
      raw: sum(all.map((e) => Buffer.byteLength(`${JSON.stringify(e)}\n`))),
      stored: await storedBytes(client, bucket, `bench-transcripts/sessions/long/transcripts/${turnsId}/`),
      same: JSON.stringify(back) === JSON.stringify(all),
    };
  }

  const growth = median(atLarge.map((t, p) => t / atSmall[p]));
  const refGrowth = median(refAtLarge.map((t, p) => t / refAtSmall[p]));
  const total = median(ours.map((t, i) => t / theirs[i]));
  const controlTotal = median(controls.map((t, i) => t / theirs[i]));
  const totalOfSums = sum(ours) / sum(theirs);
  const cpuRatio = median(cpu.ours) / median(cpu.theirs);
  const controlCpuRatio = median(cpu.controls) / median(cpu.theirs);
  const perEntry = stored / raw;
  const bytes = turnBytes === undefined ? perEntry : turnBytes.stored / turnBytes.raw;
  console.log(
    `5. transcript appends (s3rver with conditional writes; ${ENTRIES} CLI-shaped entries, one per append)`,
  );
  console.log(
    `   requests per append: ${median(requests)} (min ${Math.min(...requests)}, max ${Math.max(...requests)}); ` +
      `first append of a process that never read the transcript: ${coldRequests} requests, ${fmt(coldMs, 1)} ms`,
  );
  console.log(
    `   a. one append at entry ${SMALL_AT}: ${fmt(median(atSmall), 1)} ms, at entry ${ENTRIES}: ` +
      `${fmt(median(atLarge), 1)} ms (medians of ${PAIRS} interleaved rounds); median of the rounds' ratios ${fmt(growth)} (target <= 1.2)`,
  );
  console.log(
    `      the reference in the same rounds: ${fmt(median(refAtSmall), 1)} vs ${fmt(median(refAtLarge), 1)} ms, ` +
      `median ratio ${fmt(refGrowth)} (what s3rver itself adds between these folders); requests per round ${median(pairRequests)} (4 PUTs)`,
  );
  console.log(
    `   b. ${ENTRIES} appends: adapter ${fmt(sum(ours), 0)} ms, reference (one plain PUT per append) ` +
      `${fmt(sum(theirs), 0)} ms, control (a second reference store) ${fmt(sum(controls), 0)} ms, interleaved`,
  );
  console.log(
    `      adapter / reference: median of the ${ENTRIES} ratios ${fmt(total)} (target <= 1.0), totals ${fmt(totalOfSums)}; ` +
      `control / reference: ${fmt(controlTotal)}, totals ${fmt(sum(controls) / sum(theirs))} (the same design against itself)`,
  );
  console.log(
    `      client CPU per append (medians): adapter ${fmt(median(cpu.ours), 3)} ms, reference ${fmt(median(cpu.theirs), 3)} ms, ` +
      `control ${fmt(median(cpu.controls), 3)} ms: adapter / reference ${fmt(cpuRatio)} (target <= 1.0), control / reference ${fmt(controlCpuRatio)}`,
  );
  if (turnBytes !== undefined) {
    console.log(
      `   c. ${RECORDED_TURNS} recorded CLI turns (${turnBytes.lines} lines each), one append per turn: stored ` +
        `${turnBytes.stored} bytes / raw ${turnBytes.raw} bytes = ${fmt(bytes, 3)} (target <= 0.25); load returns ` +
        `the same lines: ${turnBytes.same}`,
    );
  } else {
    console.log('   c. no claude CLI here: measured on the generated entries of b only');
  }
  console.log(
    `      b's one-entry appends: stored ${stored} / raw ${raw} bytes = ${fmt(perEntry, 3)} (the reference stores ` +
      `${referenceBytes} bytes); load returns the same entries: ${same}`,
  );
  return { growth, refGrowth, total, controlTotal, totalOfSums, cpuRatio, bytes, perEntry, same };
}
