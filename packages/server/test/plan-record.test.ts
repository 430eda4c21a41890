/** How a plan is stored in its session's tags, and the view derived from it (no I/O). */
import { SessionCorruptError } from '@channelcoder/session-core';
import { describe, expect, it } from 'vitest';
import {
  parsePlanId,
  planId,
  planView,
  readPlan,
  type StoredPlan,
  withoutPlans,
  withPlan,
} from '../src/plan-record.js';

const uuid = '0f8fad5b-d9cb-469f-a165-70867728950e';
const plan = (over: Partial<StoredPlan> = {}): StoredPlan => ({
  uuid,
  status: 'running',
  continueOnError: false,
  createdAt: '2026-12-02T10:00:00.000Z',
  owner: 'host:1:plan-1',
  takeovers: 0,
  tasks: [{ prompt: 'a' }, { prompt: 'b' }, { prompt: 'c' }],
  steps: [
    { status: 'completed', taskId: 't1', attempts: 1 },
    { status: 'running', attempts: 2 },
    { status: 'pending' },
  ],
  ...over,
});

describe('plan records', () => {
  it('a plan id names its session; anything else is not a plan id', () => {
    expect(parsePlanId(planId('my.session-1', uuid))).toEqual({ session: 'my.session-1', uuid });
    expect(parsePlanId('nope')).toBeUndefined();
    expect(parsePlanId(`~${uuid}`)).toBeUndefined();
    expect(parsePlanId('s~not-a-uuid')).toBeUndefined();
  });

  it('is stored beside the other tags, replaced in place, and dropped from a fork', () => {
    const tags = withPlan(['mine', 'cc.ended=x'], plan());
    expect(tags.slice(0, 2)).toEqual(['mine', 'cc.ended=x']);
    expect(readPlan('s', tags, uuid)).toEqual(plan());
    const finished = withPlan(tags, plan({ status: 'completed' }));
    expect(finished.filter((t) => t.startsWith('cc.plan.'))).toHaveLength(1);
    expect(readPlan('s', finished, uuid)?.status).toBe('completed');
    expect(readPlan('s', finished, '11111111-1111-1111-1111-111111111111')).toBeUndefined();
    expect(withoutPlans(finished)).toEqual(['mine', 'cc.ended=x']);
  });

  it('a damaged plan tag is SessionCorruptError naming the tag, not a missing plan', () => {
    const err = (() => {
      try {
        readPlan('s', [`cc.plan.${uuid}={"steps":`], uuid);
      } catch (e) {
        return e;
      }
    })();
    expect(SessionCorruptError.is(err)).toBe(true);
    expect((err as SessionCorruptError).field).toBe(`metadata.tags[cc.plan.${uuid}]`);
  });

  it('the view counts steps and says what runs and what is next', () => {
    expect(planView('s', plan())).toMatchObject({
      id: `s~${uuid}`,
      status: 'running',
      total: 3,
      done: 1,
      failed: 0,
      running: 1,
      next: 2,
      owner: 'host:1:plan-1',
      steps: [
        { index: 0, status: 'completed', taskId: 't1', attempts: 1 },
        { index: 1, status: 'running', attempts: 2 },
        { index: 2, status: 'pending', attempts: 0 },
      ],
    });
    const failed = planView(
      's',
      plan({
        status: 'failed',
        steps: [{ status: 'completed' }, { status: 'failed' }, { status: 'skipped' }],
      }),
    );
    expect(failed).toMatchObject({ done: 1, failed: 1, running: null, next: null, owner: null });
  });
});
