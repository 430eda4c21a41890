/**
 * `--worktree BRANCH`, `--docker` / `--docker-image IMAGE` and the run options a session keeps, through
 * the built CLI with the real `claude` against the mock API. Worktrees use real git repositories in temp
 * folders. Docker cannot run on this project's machines: a RECORDING `docker` (testkit) first on PATH
 * records each call and runs the real claude with the mapped working directory, volumes and variables.
 */
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { projectFolderName } from '@channelcoder/session-core';
import { git, makeClaudeSandbox, makeRecordingDocker } from '@channelcoder/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliWorld, runCli, startCliWorld } from './support/cli-world.js';

let world: CliWorld;
beforeAll(async () => {
  world = await startCliWorld();
});
afterAll(async () => {
  await world?.close();
});

const lastRequestMentions = (path: string) =>
  JSON.stringify(world.mock.lastMessageRequest()?.body).includes(path);

describe('--worktree', () => {
  it('runs in the sibling worktree and continues there from another cwd and on another machine', async () => {
    const code = join(world.sandbox.root, 'code');
    const repo = join(code, 'shop');
    mkdirSync(repo, { recursive: true });
    git(repo, 'init', '-q', '-b', 'main');
    git(repo, 'commit', '-q', '--allow-empty', '-m', 'start');
    const worktree = join(code, 'shop-feature-payments');

    const first = await runCli(
      [
        'run',
        'Start payment feature',
        '--session',
        'payments',
        '--worktree',
        'feature/payments',
        '--model',
        'opus',
      ],
      world.env,
      repo,
    );
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toBe('turn 1: Start payment feature\n');
    expect(git(worktree, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('feature/payments');
    expect(lastRequestMentions(worktree)).toBe(true);

    // Another directory, outside the repository: the session runs in its worktree, with its model.
    const second = await world.cli(['run', 'Add Stripe integration', '--load-session', 'payments']);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toBe('turn 2: Add Stripe integration\n');
    expect(lastRequestMentions(worktree)).toBe(true);
    expect((world.mock.lastMessageRequest()?.body as { model?: string } | undefined)?.model).toContain(
      'opus',
    );

    // session open (no terminal here: Claude Code reads the prompt from stdin) also runs in the worktree.
    const opened = await world.cli(['session', 'open', 'payments'], { input: 'Open the checkout page' });
    expect(opened.code, opened.stderr).toBe(0);
    expect(opened.stderr).toContain('in the worktree of branch feature/payments');
    expect(world.mock.lastMessageRequest()?.userTurns).toBe(3);
    expect(lastRequestMentions(worktree)).toBe(true);

    const shown = await world.cli(['session', 'show', 'payments']);
    expect(shown.stdout).toContain(`  worktree      feature/payments at ${worktree}\n`);
    expect(shown.stdout).toContain('  model         opus\n');
    expect(shown.stdout).toContain(`  cwd           ${worktree}\n`);

    // Another machine: the storage copied, its own config dir and HOME, another clone path, and none of
    // the first machine's folders. Run from inside the clone.
    const machine = makeClaudeSandbox('cc-cli-machine-b');
    try {
      const clone = join(machine.root, 'src', 'shop');
      git(world.sandbox.root, 'clone', '-q', repo, clone);
      rmSync(worktree, { recursive: true, force: true });
      rmSync(repo, { recursive: true, force: true });
      const storage = join(machine.root, 'channelcoder');
      cpSync(world.channelcoderHome, storage, { recursive: true });
      const env = {
        ...world.env,
        CLAUDE_CONFIG_DIR: machine.configDir,
        HOME: machine.home,
        CHANNELCODER_HOME: storage,
      };
      const third = await runCli(['run', 'Add webhooks', '--load-session', 'payments'], env, clone);
      expect(third.code, third.stderr).toBe(0);
      expect(third.stdout).toBe('turn 4: Add webhooks\n');
      expect(world.mock.lastMessageRequest()?.userTurns).toBe(4);
      const cloneWorktree = join(machine.root, 'src', 'shop-feature-payments');
      expect(git(cloneWorktree, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('feature/payments');
      expect(lastRequestMentions(cloneWorktree)).toBe(true);
      const id = JSON.parse((await runCli(['session', 'show', 'payments', '--json'], env, clone)).stdout)
        .currentSessionId as string;
      expect(
        existsSync(join(machine.configDir, 'projects', projectFolderName(cloneWorktree), `${id}.jsonl`)),
      ).toBe(true);
    } finally {
      machine.remove();
    }
  });

  it('says what to do outside a git repository, and stores nothing', async () => {
    const result = await world.cli(['run', 'hi', '--session', 'nowhere', '--worktree', 'feature/x']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${world.sandbox.cwd} is not inside one`);
    expect(result.stderr).toContain('--cwd DIR');
    expect((await world.cli(['session', 'show', 'nowhere'])).code).toBe(2);
  });
});

describe('--docker / --docker-image (recording docker, real claude)', () => {
  it('runs a three-turn session in the container it keeps, with the recorded argv and mounts', async () => {
    const docker = makeRecordingDocker(join(world.sandbox.root, 'docker'), world.env.CLAUDE_BIN as string);
    const env = { ...world.env, PATH: `${docker.binDir}:${process.env.PATH}` };
    const project = join(world.sandbox.root, 'audit');
    mkdirSync(project);
    const requests = world.mock.messageRequests().length;

    const turns = [
      ['run', 'Analyze security vulnerabilities', '--session', 'audit', '--docker-image', 'security-scanner'],
      ['run', 'Fix the SQL injection issue', '--load-session', 'audit'],
      ['stream', 'Add a regression test', '--load-session', 'audit'],
    ];
    const outputs: string[] = [];
    for (const args of turns) {
      const result = await runCli(args, env, project);
      expect(result.code, result.stderr).toBe(0);
      outputs.push(result.stdout);
    }
    expect(outputs).toEqual([
      'turn 1: Analyze security vulnerabilities\n',
      'turn 2: Fix the SQL injection issue\n',
      'turn 3: Add a regression test\n',
    ]);
    expect(
      world.mock
        .messageRequests()
        .slice(requests)
        .map((r) => r.userTurns),
    ).toEqual([1, 2, 3]);

    const id = JSON.parse((await runCli(['session', 'show', 'audit', '--json'], env, project)).stdout)
      .currentSessionId as string;
    const transcripts = join(world.sandbox.configDir, 'projects', projectFolderName(project));
    const runs = docker.runs();
    expect(runs).toHaveLength(3);
    for (const [i, run] of runs.entries()) {
      const argv = run.argv;
      const image = argv.indexOf('security-scanner');
      expect(argv.slice(0, argv.indexOf('--env'))).toEqual([
        'run',
        '--rm',
        '-i',
        '--init',
        '--user',
        `${process.getuid?.()}:${process.getgid?.()}`,
        '--tmpfs',
        `/home/claude:uid=${process.getuid?.()},gid=${process.getgid?.()},mode=0700`,
        '--workdir',
        '/workspace',
        '--volume',
        `${project}:/workspace`,
        '--volume',
        `${transcripts}:/home/claude/.claude/projects/-workspace`,
      ]);
      // Then the variables: Claude's own, by name only (this machine's environment may add more of them).
      const names = argv.slice(argv.indexOf('--env'), image).filter((a) => a !== '--env');
      expect(names.slice(0, 2)).toEqual(['HOME=/home/claude', 'CLAUDE_CONFIG_DIR=/home/claude/.claude']);
      expect(names).toEqual(
        expect.arrayContaining([
          'ANTHROPIC_API_KEY',
          'ANTHROPIC_BASE_URL',
          'CLAUDE_CODE_MAX_RETRIES',
          'DISABLE_TELEMETRY',
        ]),
      );
      for (const name of names.slice(2)) expect(name).toMatch(/^(ANTHROPIC_|CLAUDE_CODE_|DISABLE_)[A-Z_]*$/);
      expect(argv.join(' ')).not.toContain(world.env.ANTHROPIC_API_KEY);
      expect(argv.slice(image + 1, image + 6)).toEqual([
        'claude',
        '-p',
        '--output-format',
        'stream-json',
        '--verbose',
      ]);
      expect(argv.slice(image + 6, image + 8)).toEqual(i === 0 ? ['--session-id', id] : ['--resume', id]);
      expect(run.hostCwd).toBe(project);
    }
    expect(existsSync(join(transcripts, `${id}.jsonl`))).toBe(true);

    const shown = await runCli(['session', 'show', 'audit'], env, project);
    expect(shown.stdout).toContain('  docker        security-scanner\n');
  });

  it('without docker on PATH: a clear message, exit 1, nothing run or stored', async () => {
    const requests = world.mock.messageRequests().length;
    const env = { ...world.env, PATH: join(world.sandbox.root, 'empty-bin') };
    const result = await world.cli(['run', 'hi', '--session', 'no-docker', '--docker'], { env });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/docker mode needs the `docker` command, but it is not on PATH/);
    expect(world.mock.messageRequests()).toHaveLength(requests);
    expect((await world.cli(['session', 'show', 'no-docker'])).code).toBe(2);
  });
});
