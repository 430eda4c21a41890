// Benchmarks of @channelcoder/storage-s3 against a local s3rver that this script starts (127.0.0.1, temp
// directory) and stops by PID. Run with `pnpm --filter @channelcoder/storage-s3 bench` (builds first via turbo
// when run as `pnpm bench` at the root). Every figure compares two measurements taken in this one run.
//   1. one save that appends 2 messages to a session of 10 vs of 2,000 messages: bytes uploaded and time
//   2. the first page (50) of list() over 2,000 sessions vs a naive listing that GETs every session's head
//   3. requests per save and per load, counted with an SDK middleware
//   4. lease acquire + release (uncontended, on a second s3rver with conditional writes enforced): requests and
//      time, as a share of a ~600 ms CLI turn (target <= 1%)
//   5. transcript appends vs a one-PUT-per-append reference store, and stored / raw bytes (bench/transcripts.mjs)
//   6. list({ prefix }) and list({ projectKey }) of one project (5 sessions) with 1,000 sessions of other
//      projects stored beside it vs none: median of interleaved pairs (target <= 1.2)
import os from 'node:os';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { createSessionState } from '@channelcoder/session-core';
import { fromWireHead, newMessageId } from '@channelcoder/session-core/storage-kit';
import { S3SessionStorage } from '../dist/index.js';
import { startS3rver } from '../test/support/s3rver-launcher.mjs';
import { benchTranscripts } from './transcripts.mjs';

const SESSIONS = 2_000;
const PAGE = 50;
const REPEATS = 41;

function makeState(messages) {
  const state = createSessionState({ now: new Date(Date.UTC(2026, 0, 1)) });
  const claudeId = newMessageId();
  state.sessionChain = [claudeId];
  state.currentSessionId = claudeId;
  appendMessages(state, messages);
  return state;
}

let clock = Date.UTC(2026, 0, 1);
function nextTick() {
  clock += 1000;
  return new Date(clock);
}

function appendMessages(state, count) {
  for (let i = 0; i < count; i++) {
    const n = state.messages.length;
    state.messages.push({
      id: newMessageId(),
      role: n % 2 === 0 ? 'user' : 'assistant',
      content: `message ${n}: ${'lorem ipsum dolor sit amet '.repeat(12)}`,
      timestamp: nextTick(),
      sessionId: state.currentSessionId ?? '',
    });
  }
  state.metadata.lastActive = nextTick();
  state.usage.turns = Math.ceil(state.messages.length / 2);
  return state;
}

function instrument(client) {
  const log = [];
  client.middlewareStack.add(
    (next) => async (args) => {
      const body = args.request.body;
      const bytes =
        typeof body === 'string' ? Buffer.byteLength(body) : body instanceof Uint8Array ? body.byteLength : 0;
      log.push({ method: args.request.method, path: args.request.path, bytes });
      return next(args);
    },
    { step: 'finalizeRequest', priority: 'low', name: 'benchCounter' },
  );
  return log;
}

async function timed(fn) {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (n, digits = 1) => n.toFixed(digits);

async function inBatches(count, width, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) await fn(next++);
    }),
  );
}

async function benchSaveSize(storage, log) {
  const sizes = [10, 2_000];
  const sessions = sizes.map((messages) => ({
    messages,
    name: `save-size-${messages}`,
    state: makeState(messages),
  }));
  for (const s of sessions) await storage.save(s.state, s.name);
  const samples = new Map(sizes.map((m) => [m, { times: [], bytes: [] }]));
  // Interleaved, so warm-up and background noise fall on both sizes alike.
  for (let i = 0; i < REPEATS; i++) {
    for (const s of i % 2 === 0 ? sessions : [...sessions].reverse()) {
      appendMessages(s.state, 2);
      log.length = 0;
      const ms = await timed(() => storage.save(s.state, s.name));
      // A compacting save (one in compactAfterParts) rewrites the session on purpose: counted in 3, not here.
      if (log.some((r) => r.method === 'GET' && r.path.endsWith('/'))) continue;
      samples.get(s.messages).times.push(ms);
      samples.get(s.messages).bytes.push(log.reduce((sum, r) => sum + r.bytes, 0));
    }
  }
  const at = (m) => ({ ms: median(samples.get(m).times), bytes: median(samples.get(m).bytes) });
  const small = at(10);
  const large = at(2_000);
  const byteRatio = large.bytes / small.bytes;
  const timeRatio = large.ms / small.ms;
  const n = samples.get(10).times.length;
  console.log('1. one save appending 2 messages (median of %d, interleaved, compacting saves excluded)', n);
  console.log(`   at    10 messages: ${small.bytes} bytes uploaded, ${fmt(small.ms)} ms`);
  console.log(`   at 2,000 messages: ${large.bytes} bytes uploaded, ${fmt(large.ms)} ms`);
  console.log(`   ratio 2,000 / 10: bytes ${fmt(byteRatio, 2)}x, time ${fmt(timeRatio, 2)}x (target <= 1.5)`);
  return { byteRatio, timeRatio };
}

async function naiveFirstPage(client, bucket, prefix) {
  const heads = [];
  let token;
  do {
    const out = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}sessions/`, ContinuationToken: token }),
    );
    for (const o of out.Contents ?? []) if (o.Key.endsWith('/head.json')) heads.push(o.Key);
    token = out.IsTruncated ? out.NextContinuationToken : undefined;
  } while (token);
  const infos = new Array(heads.length);
  await inBatches(heads.length, 16, async (i) => {
    const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: heads[i] }));
    const name = heads[i].slice(`${prefix}sessions/`.length, -'/head.json'.length);
    const head = fromWireHead(await out.Body.transformToString('utf8'), { name });
    infos[i] = { name, lastActive: head.metadata.lastActive.getTime() };
  });
  infos.sort((a, b) => b.lastActive - a.lastActive || (a.name < b.name ? -1 : 1));
  return infos.slice(0, PAGE);
}

async function benchList(storage, client, bucket) {
  const started = performance.now();
  await inBatches(SESSIONS, 16, (i) => storage.save(makeState(4), `listed-${String(i).padStart(4, '0')}`));
  console.log(
    `2. first page (${PAGE}) of list() over ${SESSIONS} sessions (created in ${fmt((performance.now() - started) / 1000)} s)`,
  );
  const indexed = [];
  const naive = [];
  let a = [];
  let b = [];
  for (let i = 0; i < 3; i++) {
    indexed.push(
      await timed(async () => {
        a = await storage.list({ limit: PAGE });
      }),
    );
    naive.push(
      await timed(async () => {
        b = await naiveFirstPage(client, bucket, storage.prefix);
      }),
    );
  }
  const same = JSON.stringify(a.map((x) => x.name)) === JSON.stringify(b.map((x) => x.name));
  const ratio = median(naive) / median(indexed);
  console.log(`   index (1 LIST):           ${fmt(median(indexed))} ms`);
  console.log(`   naive (LIST + ${SESSIONS} GETs): ${fmt(median(naive))} ms   same 50 names: ${same}`);
  console.log(`   speed-up ${fmt(ratio)}x (target >= 20)`);
  return { ratio, same };
}

const OTHERS = Number(process.env.BENCH_OTHERS ?? 1000);
const FILTER_PAIRS = 41;

/** One project's sessions (named like the Agent SDK bridge's) with OTHERS sessions of other projects beside them, vs none. */
async function benchFilteredList(storage) {
  const own = '-home-dev-shop-api';
  const fill = async (target, others) => {
    await inBatches(5, 5, (i) => {
      const state = makeState(4);
      state.metadata.cwd = '/home/dev/shop-api';
      state.metadata.lastActive = nextTick();
      return target.save(state, `sdk-${own}.s${i}`);
    });
    await inBatches(others, 16, (i) => {
      const state = makeState(4);
      state.metadata.cwd = `/home/dev/other-${i % 100}`;
      state.metadata.lastActive = nextTick();
      return target.save(state, `sdk--home-dev-other-${i % 100}.s${i}`);
    });
  };
  const started = performance.now();
  const none = storage('bench-filter-none/');
  const many = storage('bench-filter-many/');
  await fill(none, 0);
  await fill(many, OTHERS);
  console.log(
    `6. list of one project (5 sessions) with ${OTHERS} sessions of other projects vs none (filled in ${fmt((performance.now() - started) / 1000)} s)`,
  );
  const out = {};
  for (const [label, options] of [
    ['prefix', { prefix: `sdk-${own}.` }],
    ['projectKey', { projectKey: own }],
  ]) {
    // Warm-up: each storage object checks once for sessions stored before the name-ordered entries.
    const counts = [(await none.list(options)).length, (await many.list(options)).length];
    const ratios = [];
    const times = { none: [], many: [] };
    for (let i = 0; i < FILTER_PAIRS; i++) {
      const order = i % 2 === 0 ? ['none', 'many'] : ['many', 'none'];
      const pair = {};
      for (const which of order)
        pair[which] = await timed(() => (which === 'none' ? none : many).list(options));
      times.none.push(pair.none);
      times.many.push(pair.many);
      ratios.push(pair.many / pair.none);
    }
    const ratio = median(ratios);
    out[label] = ratio;
    console.log(
      `   list({ ${label} }): ${fmt(median(times.many), 2)} ms with ${OTHERS} others vs ${fmt(median(times.none), 2)} ms without ` +
        `(found ${counts.join(' / ')}); median of ${FILTER_PAIRS} pair ratios ${fmt(ratio, 2)} (target <= 1.2)`,
    );
  }
  return out;
}

async function benchRequests(storage, log) {
  const state = makeState(10);
  log.length = 0;
  await storage.save(state, 'requests');
  const create = log.length;
  appendMessages(state, 2);
  log.length = 0;
  await storage.save(state, 'requests');
  const append = log.length;
  log.length = 0;
  await storage.load('requests');
  const load = log.length;
  for (let i = 0; i < 14; i++) await storage.save(appendMessages(state, 2), 'requests');
  log.length = 0;
  await storage.load('requests');
  const loadMany = log.length;
  log.length = 0;
  await storage.save(appendMessages(state, 2), 'requests');
  const compacting = log.length;
  log.length = 0;
  await storage.list({ limit: PAGE });
  const listing = log.length;
  console.log('3. requests (HTTP requests counted by an SDK middleware)');
  console.log(
    `   save, new session:                     ${create}  (GET head 404, PUT part, PUT head, PUT 2 listing entries (time-ordered, by-name; a 3rd, by-project, with a cwd), GET head)`,
  );
  console.log(
    `   save, appending:                       ${append}  (GET head, PUT part, PUT head, PUT 2 listing entries, DELETE the 2 old ones + GET head)`,
  );
  console.log(`   load, session with 2 parts:            ${load}  (GET head, GET 2 parts in parallel)`);
  console.log(`   load, session with 16 parts:           ${loadMany}`);
  console.log(`   save that compacts 16 parts into 1:    ${compacting}  (+ LIST parts, DELETE 16 old parts)`);
  console.log(`   list, first page:                      ${listing}  (one ListObjectsV2)`);
}

/** A CLI turn (spawn, API round trip, transcript) takes about this long; the lease's target is <= 1% of it. */
const CLI_TURN_MS = 600;

async function benchLease() {
  const enforcing = await startS3rver({ enforceConditionalWrites: true });
  try {
    const client = new S3Client({
      endpoint: enforcing.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    const log = instrument(client);
    const storage = new S3SessionStorage({ client, bucket: enforcing.bucket, prefix: 'bench-lease/' });
    const state = makeState(10);
    await storage.save(state, 'leased');
    const cycle = async () => (await storage.lease('leased')).release();
    for (let i = 0; i < 5; i++) await cycle();
    log.length = 0;
    const lease = await storage.lease('leased');
    const acquire = log.map((r) => r.method);
    log.length = 0;
    await lease.release();
    const release = log.map((r) => r.method);
    const times = [];
    for (let i = 0; i < REPEATS; i++) times.push(await timed(cycle));
    // What a lease adds to a save: the same save (+2 messages) with and without { lease }, alternating.
    const held = await storage.lease('leased', { ttlMs: 600_000 });
    const plain = [];
    const fenced = [];
    for (let i = 0; i < REPEATS; i++) {
      plain.push(await timed(() => storage.save(appendMessages(state, 2), 'leased')));
      fenced.push(await timed(() => storage.save(appendMessages(state, 2), 'leased', { lease: held })));
    }
    await held.release();
    const ms = median(times);
    const share = (100 * ms) / CLI_TURN_MS;
    console.log(
      `4. lease acquire + release, uncontended (s3rver with conditional writes enforced, median of ${REPEATS})`,
    );
    console.log(
      `   acquire: ${acquire.length} requests (${acquire.join(', ')}); release: ${release.length} (${release.join(', ')})`,
    );
    console.log(
      `   acquire + release: ${fmt(ms, 2)} ms = ${fmt(share, 2)}% of a ${CLI_TURN_MS} ms CLI turn (target <= 1%)`,
    );
    console.log(
      `   save +2 messages: ${fmt(median(plain), 2)} ms; with { lease }: ${fmt(median(fenced), 2)} ms (same requests)`,
    );
    client.destroy();
    return { ms, share, requests: acquire.length + release.length };
  } finally {
    await enforcing.stop();
  }
}

async function benchTranscriptAppends() {
  const enforcing = await startS3rver({ enforceConditionalWrites: true });
  try {
    const client = new S3Client({
      endpoint: enforcing.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    const result = await benchTranscripts(client, enforcing.bucket, instrument(client));
    client.destroy();
    return result;
  } finally {
    await enforcing.stop();
  }
}

const server = await startS3rver();
try {
  const client = new S3Client({
    endpoint: server.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const log = instrument(client);
  const storage = (prefix) => new S3SessionStorage({ client, bucket: server.bucket, prefix });
  console.log(
    `@channelcoder/storage-s3 benchmarks against s3rver at ${server.endpoint} (pid ${server.pid})\n`,
  );
  // `node bench/run.mjs save` (or list, requests, lease, transcripts, filter) runs one benchmark only.
  const only = process.argv[2];
  const runs = (name) => only === undefined || only === name;
  const save = runs('save') ? await benchSaveSize(storage('bench-save/'), log) : undefined;
  const list = runs('list') ? await benchList(storage('bench-list/'), client, server.bucket) : undefined;
  if (runs('requests')) await benchRequests(storage('bench-requests/'), log);
  const lease = runs('lease') ? await benchLease() : undefined;
  const transcripts = runs('transcripts') ? await benchTranscriptAppends() : undefined;
  const filtered = runs('filter') ? await benchFilteredList(storage) : undefined;
  console.log('\nsummary');
  if (save !== undefined) {
    console.log(
      `  save bytes ratio ${fmt(save.byteRatio, 2)} (<= 1.5: ${save.byteRatio <= 1.5 ? 'met' : 'MISSED'})`,
    );
    console.log(
      `  save time ratio  ${fmt(save.timeRatio, 2)} (<= 1.5: ${save.timeRatio <= 1.5 ? 'met' : 'MISSED'})`,
    );
  }
  if (list !== undefined) {
    console.log(`  list speed-up    ${fmt(list.ratio)} (>= 20: ${list.ratio >= 20 ? 'met' : 'MISSED'})`);
  }
  if (lease !== undefined) {
    console.log(
      `  lease acquire + release ${lease.requests} requests, ${fmt(lease.share, 2)}% of a CLI turn ` +
        `(<= 1%: ${lease.share <= 1 ? 'met' : 'MISSED'})`,
    );
  }
  if (transcripts !== undefined) {
    const verdict = (ok) => (ok ? 'met' : 'MISSED');
    console.log(
      `  transcript append at 300 / at 10 entries ${fmt(transcripts.growth, 2)} (<= 1.2: ${verdict(transcripts.growth <= 1.2)}; reference ${fmt(transcripts.refGrowth, 2)})`,
    );
    console.log(
      `  300 appends, adapter / reference: median pair ratio ${fmt(transcripts.total, 2)} (<= 1.0: ${verdict(transcripts.total <= 1)}; totals ${fmt(transcripts.totalOfSums, 2)}; control / reference ${fmt(transcripts.controlTotal, 2)})`,
    );
    console.log(
      `  client CPU per append, adapter / reference ${fmt(transcripts.cpuRatio, 2)} (<= 1.0: ${verdict(transcripts.cpuRatio <= 1)})`,
    );
    console.log(
      `  transcript stored / raw bytes ${fmt(transcripts.bytes, 3)} (<= 0.25: ${verdict(transcripts.bytes <= 0.25)})`,
    );
  }
  if (filtered !== undefined) {
    for (const [label, ratio] of Object.entries(filtered))
      console.log(
        `  list({ ${label} }) with ${OTHERS} others / none ${fmt(ratio, 2)} (<= 1.2: ${ratio <= 1.2 ? 'met' : 'MISSED'})`,
      );
  }
  console.log(
    `  load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  client.destroy();
} finally {
  await server.stop();
}
