/**
 * `list({ projectKey })`: the sessions of one Claude Code project (`sessionProjectKey`: the project folder
 * name of `metadata.cwd`) from a per-project ZSET, `P{index}:project:<projectKey>`, whose members are the
 * sessions' `order` members, so it is walked like `order` (ZRANGEBYLEX from the cursor) and only that
 * project's heads are read. The save, remove, trash and restore scripts keep it together with `order`
 * (the `put_index` / `drop_index` helpers), recording each session's project in `P{index}:projects`, so a
 * save that changes the cwd moves the session from one project's ZSET to the other's.
 *
 * Sessions indexed before these keys existed are copied in lazily: each project listing first copies a
 * bounded part (reading the heads of {@link COPY_STEP} `order` members per step, at most
 * {@link COPY_STEPS_PER_LIST} steps), and until the copy is complete lists by walking the whole index,
 * keeping the heads of the project. `pruneIndex()` completes the copy in steps.
 *
 * Every listed head is checked against the project: an entry whose session has moved to another project
 * (a save by a version that did not keep the project index) is moved to the right ZSET and not listed.
 */
import type { ListOptions } from '@channelcoder/session-core';
import { readListOptions } from '@channelcoder/session-core/storage-kit';
import { indexKeys, indexMember, projectIndexKey } from './keys.js';
import {
  type Candidate,
  dropStale,
  headProject,
  type IndexContext,
  readHeads,
  splitMembers,
  toInfo,
  type WalkOptions,
  type WalkResult,
  walkIndex,
} from './list-index.js';

/** `order` members one copy-in step reads (and whose heads it reads, pipelined). */
export const COPY_STEP = 500;
/** Copy-in steps a project listing runs at most before it lists by walking the whole index. */
const COPY_STEPS_PER_LIST = 2;
const FULL_BATCH = 500;
const MAX_BATCH = 1000;

/**
 * Files a session under its project in Lua (`prefix`: the index keys' prefix), as the scripts' `put_index`
 * does: its member in the project ZSET, its name in the project's listing ZSET once that exists.
 */
const FILE_PROJECT = `
local function file_project(name, member, project)
  redis.call('ZADD', prefix .. 'project:' .. project, 0, member)
  local listing = prefix .. 'project-listing:' .. project
  if redis.call('EXISTS', listing) == 1 then redis.call('ZADD', listing, string.sub(member, 1, 17), name) end
end`;

/**
 * KEYS: order, members, projects-state. ARGV: the state this step started from ('' = not started), the state
 * to record (the last member read, or 'complete'), then name, member, project triples.
 * Files each session under its project unless a newer save or remove has (its member is no longer the
 * current one, or its project is already recorded), and records the progress only if no other step
 * recorded some meanwhile. Returns 1.
 */
const COPY_PROJECTS = `
local prefix = string.sub(KEYS[1], 1, -(string.len('order') + 1))
local projects = prefix .. 'projects'
${FILE_PROJECT}
for i = 3, #ARGV, 3 do
  local name, member, project = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  if redis.call('HGET', KEYS[2], name) == member and redis.call('HEXISTS', projects, name) == 0 then
    redis.call('HSET', projects, name, project)
    if project ~= '' then file_project(name, member, project) end
  end
end
if (redis.call('GET', KEYS[3]) or '') == ARGV[1] then redis.call('SET', KEYS[3], ARGV[2]) end
return 1
`;

/**
 * KEYS: order, members. ARGV: the project the entries were found under, then name, member, project triples.
 * Moves each entry that is still its name's current member from that project's ZSET to its actual project's
 * (the head's), and records that project. Returns 1.
 */
const REFILE_PROJECT = `
local prefix = string.sub(KEYS[1], 1, -(string.len('order') + 1))
local from = prefix .. 'project:' .. ARGV[1]
${FILE_PROJECT}
for i = 2, #ARGV, 3 do
  local name, member, project = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  redis.call('ZREM', from, member)
  if redis.call('HGET', KEYS[2], name) == member then
    local listing = prefix .. 'project-listing:' .. ARGV[1]
    if redis.call('ZREM', listing, name) == 1 and redis.call('ZCARD', listing) == 1 then
      redis.call('DEL', listing)
    end
    redis.call('HSET', prefix .. 'projects', name, project)
    if project ~= '' then file_project(name, member, project) end
  end
end
return 1
`;

/**
 * Copies the projects of sessions indexed before the project index existed, at most `maxSteps` steps;
 * resolves true once the copy is complete (then with one GET).
 */
export async function copyProjects(ctx: IndexContext, maxSteps: number): Promise<boolean> {
  const keys = indexKeys(ctx.prefix);
  for (let step = 0; step < maxSteps; step++) {
    const state = await ctx.client.get(keys.projectsState);
    if (state === 'complete') return true;
    const members = await ctx.client.zrangebylex(
      keys.order,
      state === null ? '-' : `(${state}`,
      '+',
      'LIMIT',
      0,
      COPY_STEP,
    );
    const { candidates } = splitMembers(members);
    const reads = await readHeads(ctx, candidates);
    const triples: string[] = [];
    for (const [i, c] of candidates.entries()) {
      const project = headProject(reads[i]!);
      // A session gone or unreadable is left to the stale-entry cleanup and to its next save.
      if (project !== undefined) triples.push(c.name, c.member, project);
    }
    const next = members.length < COPY_STEP ? 'complete' : members.at(-1)!;
    await ctx.scripts.custom(
      'channelcoderSessionsCopyProjectsV2',
      COPY_PROJECTS,
      [keys.order, keys.members, keys.projectsState],
      [state ?? '', next, ...triples],
    );
    if (next === 'complete') return true;
  }
  return false;
}

/**
 * One page (or all) of the project's sessions in listing order; `prefix`, `limit` and `cursor` as in any
 * listing. Stale entries met on the way are dropped (bounded by `walk.maxDrops`).
 */
export async function listByProject(
  ctx: IndexContext,
  options: ListOptions | undefined,
  walk: WalkOptions,
): Promise<WalkResult> {
  const { limit, after, prefix, projectKey } = readListOptions(options);
  const result: WalkResult = { infos: [], dropped: 0, skipped: 0 };
  if (projectKey === undefined || limit === 0) return result;
  if (!(await copyProjects(ctx, COPY_STEPS_PER_LIST)))
    return walkIndex(ctx, options, { ...walk, projectKey });
  const progress = walk.progress ?? { dropped: 0 };
  const zset = projectIndexKey(ctx.prefix, projectKey);
  let batch = limit === undefined ? FULL_BATCH : Math.min(Math.max(limit + 1, 16), MAX_BATCH);
  let from = after === undefined ? '-' : `(${indexMember(after.lastActive, after.name)}`;
  for (;;) {
    const members = await ctx.client.zrangebylex(zset, from, '+', 'LIMIT', 0, batch);
    if (members.length === 0) break;
    from = `(${members.at(-1)}`;
    const { candidates, foreign } = splitMembers(members, prefix);
    const reads = await readHeads(ctx, candidates);
    const stale: Candidate[] = [];
    const moved: string[] = [];
    for (const [i, c] of candidates.entries()) {
      const r = reads[i]!;
      if (r.error === undefined && (r.head === null || r.current !== c.member)) {
        stale.push(c);
        continue;
      }
      const actual = headProject(r);
      if (actual !== undefined && actual !== projectKey) {
        moved.push(c.name, c.member, actual);
        continue;
      }
      if (limit === undefined || result.infos.length < limit) result.infos.push(toInfo(ctx, c, r));
    }
    const budget = Math.max(0, (walk.maxDrops ?? Number.POSITIVE_INFINITY) - result.dropped);
    const staleNow = stale.slice(0, budget);
    result.skipped += stale.length - staleNow.length;
    if (foreign.length > 0) await ctx.client.zrem(zset, ...foreign);
    if (staleNow.length > 0) {
      result.dropped += await dropStale(ctx, staleNow, projectKey);
      progress.dropped = result.dropped;
    }
    if (moved.length > 0) {
      const keys = indexKeys(ctx.prefix);
      await ctx.scripts.custom(
        'channelcoderSessionsRefileProjectV2',
        REFILE_PROJECT,
        [keys.order, keys.members],
        [projectKey, ...moved],
      );
    }
    walk.answered?.();
    if ((limit !== undefined && result.infos.length >= limit) || members.length < batch) break;
    if (stale.length + foreign.length + moved.length > 0) batch = Math.min(batch * 4, MAX_BATCH);
  }
  return result;
}
