/**
 * load() of RedisSessionStorage (the built package) vs JSON.parse of each stored message's JSON text, measured side by
 * side: each round runs both back to back, alternating which goes first. Two ratios (target <= 3): of wall
 * times, and of CPU times (this process's, plus the Redis server's from INFO cpu for the load), each of the
 * fastest run of each side. On a loaded machine a load waits for a CPU at every socket hop while the parse
 * does not, so wall ratios swing with the load; CPU ratios do not, and the CI gate compares those. Used by the CI gate (scripts/bench-gate.mjs); load.mjs prints the
 * full-size figure with the earlier script-based load and the PING latencies beside it.
 */
import { performance } from 'node:perf_hooks';
import { createSessionState } from '@channelcoder/session-core';
import { newMessageId, toWireMessage } from '@channelcoder/session-core/storage-kit';
import { Redis } from 'ioredis';
import { RedisSessionStorage } from '../dist/index.js';

export const LOAD_TARGET = 3;

/** A session of `count` messages of about 330 characters, alternating user and assistant. */
export function bigState(count) {
  const state = createSessionState({ now: new Date(Date.UTC(2026, 0, 1)) });
  const claudeId = newMessageId();
  let clock = Date.UTC(2026, 0, 1);
  for (let i = 0; i < count; i++) {
    const role = i % 2 === 0 ? 'user' : 'assistant';
    clock += 10;
    state.messages.push({
      id: newMessageId(),
      role,
      content: `${role} says something moderately long about the task at hand, message ${i}. `.repeat(4),
      timestamp: new Date(clock),
      sessionId: claudeId,
      ...(role === 'assistant' ? { turn: { costUsd: 0.01, durationMs: 900, inputTokens: 100 } } : {}),
    });
  }
  state.sessionChain = [claudeId];
  state.currentSessionId = claudeId;
  state.metadata.lastActive = new Date(clock);
  return state;
}

/** The JSON text of each message of `state`, as a save stores it. */
export function messageLines(state) {
  return state.messages.map((message) => JSON.stringify(toWireMessage(message)));
}

/** load() of a `messages`-message session on the Redis at `url` vs JSON.parse of its stored lines. */
export async function measureRedisLoad(url, { messages = 20_000, rounds = 9 } = {}) {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  client.on('error', () => {});
  const prefix = `cc-bench-gate:${process.pid}:`;
  try {
    const storage = new RedisSessionStorage({ client, prefix, timeoutMs: 60_000 });
    const state = bigState(messages);
    await storage.save(state, 'big');
    // The stored JSON text of each message (the list packs several per element, joined by commas).
    const lines = messageLines(state);
    const headText = await client.get(`${prefix}{big}:head`);
    const load = async () => {
      const state = await storage.load('big');
      if (state.messages.length !== messages) throw new Error('load() returned the wrong count');
    };
    // The baseline keeps what it parsed, as a load does (parsing into garbage would be cheaper).
    let kept;
    const parse = () => {
      kept = [JSON.parse(headText), lines.map((line) => JSON.parse(line))];
    };
    for (let i = 0; i < 3; i++) await load(); // warm-up: the first loads compile the reader
    const serverCpu = async () => {
      const info = await client.info('cpu');
      const seconds = (key) => Number(new RegExp(`^${key}:([0-9.]+)`, 'm').exec(info)?.[1] ?? Number.NaN);
      return (seconds('used_cpu_user') + seconds('used_cpu_sys')) * 1000;
    };
    const cpuNow = () => {
      const used = process.cpuUsage();
      return (used.user + used.system) / 1000;
    };
    const loads = [];
    const parses = [];
    const measureLoad = async () => {
      const server = await serverCpu();
      const cpu = cpuNow();
      const t = performance.now();
      await load();
      const ms = performance.now() - t;
      const clientCpu = cpuNow() - cpu;
      loads.push({ ms, cpu: clientCpu + ((await serverCpu()) - server) });
    };
    const measureParse = () => {
      const cpu = cpuNow();
      const t = performance.now();
      parse();
      parses.push({ ms: performance.now() - t, cpu: cpuNow() - cpu });
    };
    for (let round = 0; round < rounds; round++) {
      if (round % 2 === 0) {
        await measureLoad();
        measureParse();
      } else {
        measureParse();
        await measureLoad();
      }
    }
    const fastest = (runs, key) => Math.min(...runs.map((run) => run[key]));
    return {
      messages,
      loadMs: fastest(loads, 'ms'),
      parseMs: fastest(parses, 'ms'),
      ratio: fastest(loads, 'ms') / fastest(parses, 'ms'),
      cpuRatio: fastest(loads, 'cpu') / fastest(parses, 'cpu'),
      kept: kept !== undefined,
    };
  } finally {
    await client.del(
      `${prefix}{big}:head`,
      `${prefix}{big}:messages`,
      `${prefix}{index}:order`,
      `${prefix}{index}:members`,
    );
    await client.quit();
  }
}

/** The middle value (the upper one of an even count). */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Unlinks every key under `prefix` (SCAN, so the server is never held). */
export async function deletePrefix(client, prefix) {
  const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await client.unlink(...keys);
  } while (cursor !== '0');
}
