/**
 * The REAL Claude Agent SDK (`@anthropic-ai/claude-agent-sdk`, the version paired with the claude CLI the
 * tests run) with `sessionStore: toAgentSessionStore(storage)` on every backend: machine A runs a turn that
 * delegates to a subagent, machine B (another CLAUDE_CONFIG_DIR and HOME, same project path) resumes it
 * from the store alone, and the SDK's session helpers read and fork the stored session.
 */
import { mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  forkSession,
  getSessionInfo,
  getSessionMessages,
  listSessions,
  type Options,
  query,
} from '@anthropic-ai/claude-agent-sdk';
import {
  agentSessionName,
  projectFolderName,
  type SessionStorage,
  session,
  toAgentSessionStore,
} from '@channelcoder/session-core';
import { claudeBinary, type ReplyContext } from '@channelcoder/testkit';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Backend, type BackendKind, openBackend } from './support/backends.js';
import { type Machine, MockAnthropicServer, makeMachine } from './support/machines.js';

const SUBTASK = 'count the files';

/** Replies: a prompt containing "delegate" calls the subagent tool once; the subagent answers its task. */
function reply(context: ReplyContext) {
  const body = context.body as { messages?: { content?: unknown }[]; tools?: { name: string }[] };
  // Delegate once: not after the subagent was launched (its tool result, then its completion notice, come back).
  const delegated = (body.messages ?? []).some(
    (m) => Array.isArray(m.content) && m.content.some((b) => (b as { type?: string }).type === 'tool_use'),
  );
  if (context.lastUserText.includes(SUBTASK)) return 'subagent: 3 files';
  if (context.lastUserText.includes('delegate') && !delegated) {
    const tool = body.tools?.find((t) => t.name === 'Agent' || t.name === 'Task');
    if (tool !== undefined) {
      return [
        {
          type: 'tool_use' as const,
          name: tool.name,
          input: { description: 'count files', prompt: SUBTASK, subagent_type: 'general-purpose' },
        },
      ];
    }
  }
  return `turn ${context.userTurns}: ${context.lastUserText}`;
}

let mock: MockAnthropicServer;
beforeAll(async () => {
  mock = await MockAnthropicServer.start({ reply });
});
afterAll(async () => {
  await mock.close();
});

/** Runs one prompt through the SDK's query() and returns its result message. */
async function ask(prompt: string, options: Options): Promise<{ result: string; session_id: string }> {
  let result: { result: string; session_id: string } | undefined;
  for await (const message of query({ prompt, options })) {
    if (message.type === 'result') {
      if (message.subtype !== 'success') throw new Error(`query failed: ${JSON.stringify(message)}`);
      result = message;
    }
  }
  if (result === undefined) throw new Error('query ended without a result');
  return result;
}

describe.each<BackendKind>(['file', 'redis', 's3', 'postgresql'])('the real Agent SDK on %s', (kind) => {
  let backend: Backend;
  let a: Machine;
  let b: Machine;
  let project: string;
  let storageA: SessionStorage;
  let storageB: SessionStorage;
  beforeEach(async () => {
    backend = openBackend(kind);
    a = makeMachine('sdk-a', mock);
    b = makeMachine('sdk-b', mock);
    // One project path on both machines (the SDK's projectKey comes from it); config dirs and HOMEs differ.
    project = join(realpathSync(mkdtempSync(join(tmpdir(), 'cc-sdk-'))), 'shop-api');
    mkdirSync(project);
    storageA = await backend.open();
    storageB = await backend.open();
  });
  afterEach(async () => {
    await backend.destroy();
    a.sandbox.remove();
    b.sandbox.remove();
    rmSync(join(project, '..'), { recursive: true, force: true });
  });

  const optionsOn = (machine: Machine, storage: SessionStorage): Options => ({
    cwd: project,
    env: { ...process.env, ...machine.env },
    pathToClaudeCodeExecutable: claudeBinary(),
    sessionStore: toAgentSessionStore(storage),
    sessionStoreFlush: 'eager',
    allowedTools: ['Agent', 'Task'],
    permissionMode: 'default',
  });

  it('A runs a turn with a subagent; B resumes it from the store; the helpers read and fork it', async () => {
    const first = await ask('please delegate', optionsOn(a, storageA));
    const sessionId = first.session_id;
    expect(first.result).toBe('turn 1: please delegate');

    const storeA = toAgentSessionStore(storageA);
    const [listed] = await listSessions({ dir: project, sessionStore: storeA });
    expect(listed?.sessionId).toBe(sessionId);
    const projectKey = (await findProjectKey(storageA, sessionId)) ?? '';
    // Stored under a readable name: the project's key and the SDK's session id.
    const name = agentSessionName({ projectKey, sessionId });
    expect(name).toContain(sessionId);
    expect((await storageA.load(name)).currentSessionId).toBe(sessionId);
    const subkeys = await storeA.listSubkeys({ projectKey, sessionId });
    expect(subkeys.some((s) => s.startsWith('subagents/'))).toBe(true);
    const sub = await storeA.load({ projectKey, sessionId, subpath: subkeys[0]! });
    expect(JSON.stringify(sub)).toContain('subagent: 3 files');

    // Machine B has no local transcript: the SDK materializes it from the store and the CLI resumes.
    expect(b.transcripts()).toEqual([]);
    const second = await ask('and now', { ...optionsOn(b, storageB), resume: sessionId });
    expect(second.session_id).toBe(sessionId);
    expect(second.result).toBe('turn 2: and now');
    expect(mock.lastMessageRequest()?.userTurns).toBe(2);

    const storeB = toAgentSessionStore(storageB);
    const info = await getSessionInfo(sessionId, { dir: project, sessionStore: storeB });
    expect(info?.sessionId).toBe(sessionId);
    const messages = await getSessionMessages(sessionId, { dir: project, sessionStore: storeB });
    const texts = JSON.stringify(messages);
    expect(texts).toContain('please delegate');
    expect(texts).toContain('turn 2: and now');

    // A fork up to the first answer: a new session in the store holding only what came before.
    const upTo = messages.find((m) => JSON.stringify(m).includes('turn 1: please delegate'));
    const fork = await forkSession(sessionId, {
      dir: project,
      sessionStore: storeB,
      upToMessageId: upTo!.uuid,
    });
    expect(fork.sessionId).not.toBe(sessionId);
    const forked = JSON.stringify(
      await getSessionMessages(fork.sessionId, { dir: project, sessionStore: storeA }),
    );
    expect(forked).toContain('turn 1: please delegate');
    expect(forked).not.toContain('turn 2: and now');
    expect(
      (await listSessions({ dir: project, sessionStore: storeA })).map((s) => s.sessionId).sort(),
    ).toEqual([sessionId, fork.sessionId].sort());
    // The fork is ours too: its parent names the session and the message it ends at.
    const forkState = await storageA.load(agentSessionName({ projectKey, sessionId: fork.sessionId }));
    expect(forkState.metadata.parent).toMatchObject({ name, sessionId, messageUuid: upTo!.uuid });
  }, 180_000);

  it('a session made by session() is listed, read and forked by the SDK helpers, with its name, tags and cost', async () => {
    const made = session({
      name: 'shop-review',
      tags: ['review'],
      storage: storageA,
      cwd: project,
      defaults: { env: a.env },
    });
    await made.claude('one');
    await made.claude('two');
    const claudeId = made.id() ?? '';
    const stored = await storageA.load('shop-review');
    expect(stored.usage.totalCostUsd).toBeGreaterThan(0);

    // Machine B, the store alone: the SDK finds it under the project's key and reads its messages.
    const store = toAgentSessionStore(storageB);
    const listed = await listSessions({ dir: project, sessionStore: store });
    expect(listed.map((s) => s.sessionId)).toEqual([claudeId]);
    expect(listed[0]).toMatchObject({
      customTitle: 'shop-review',
      tag: `review · $${stored.usage.totalCostUsd.toFixed(4)}`,
    });
    const info = await getSessionInfo(claudeId, { dir: project, sessionStore: store });
    expect(info).toMatchObject({ sessionId: claudeId, customTitle: 'shop-review' });
    const messages = await getSessionMessages(claudeId, { dir: project, sessionStore: store });
    const texts = JSON.stringify(messages);
    expect(texts).toContain('turn 1: one');
    expect(texts).toContain('turn 2: two');
    expect(await store.listSessions(projectFolderName(project))).toHaveLength(1);

    // Fork at the first answer: a new SDK session whose parent is the channelcoder session at that message.
    const upTo = messages.find((m) => JSON.stringify(m).includes('turn 1: one'));
    const fork = await forkSession(claudeId, {
      dir: project,
      sessionStore: store,
      upToMessageId: upTo!.uuid,
    });
    const forkName = agentSessionName({ projectKey: projectFolderName(project), sessionId: fork.sessionId });
    expect((await storageA.load(forkName)).metadata.parent).toMatchObject({
      name: 'shop-review',
      sessionId: claudeId,
      messageUuid: upTo!.uuid,
    });
    const forked = JSON.stringify(
      await getSessionMessages(fork.sessionId, { dir: project, sessionStore: store }),
    );
    expect(forked).toContain('turn 1: one');
    expect(forked).not.toContain('turn 2: two');

    // Resume at that message as a new branch (query with resumeSessionAt + forkSession): also our fork.
    const branched = await ask('branch here', {
      ...optionsOn(b, storageB),
      resume: claudeId,
      resumeSessionAt: upTo!.uuid,
      forkSession: true,
    });
    expect(branched.session_id).not.toBe(claudeId);
    const branchName = agentSessionName({
      projectKey: projectFolderName(project),
      sessionId: branched.session_id,
    });
    expect((await storageA.load(branchName)).metadata.parent).toMatchObject({
      name: 'shop-review',
      sessionId: claudeId,
      messageUuid: upTo!.uuid,
    });
    expect(
      JSON.stringify(await getSessionMessages(branched.session_id, { dir: project, sessionStore: store })),
    ).not.toContain('turn 2: two');

    // Turned off: only the sessions the bridge stored (the fork and the branch).
    const only = toAgentSessionStore(storageB, { channelcoderSessions: false });
    expect((await listSessions({ dir: project, sessionStore: only })).map((s) => s.sessionId).sort()).toEqual(
      [fork.sessionId, branched.session_id].sort(),
    );
  }, 180_000);
});

/** The projectKey the SDK used: read back from the stored session's readable name. */
async function findProjectKey(storage: SessionStorage, sessionId: string): Promise<string | undefined> {
  for (const info of await storage.list()) {
    const suffix = `.${sessionId}`;
    if (info.name.startsWith('sdk-') && info.name.endsWith(suffix))
      return info.name.slice('sdk-'.length, -suffix.length);
  }
  return undefined;
}
