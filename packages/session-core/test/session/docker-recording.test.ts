/**
 * Docker mode. Docker cannot run on this project's machines, so these tests put a RECORDING `docker`
 * first on PATH (testkit's makeRecordingDocker): it records each call's argv and the environment the
 * container would get, then runs the REAL claude binary (against the in-repo mock API) with the mapped
 * working directory, volumes and variables. What is proven: the argument mapping, that a three-turn
 * session keeps its Docker config (across a load too) and carries its history, and that the transcript
 * folder mounted into the container is the one the session mirrors from. Not proven here: a real daemon
 * and image.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRecordingDocker, type RecordingDocker } from '../../../testkit/src/index.js';
import { ClaudeRunError, InvalidArgumentError } from '../../src/errors.js';
import { MemorySessionStorage } from '../../src/memory-storage.js';
import { DockerNotAvailableError } from '../../src/run-mode-errors.js';
import { detached } from '../../src/runner/detached.js';
import {
  DEFAULT_DOCKER_IMAGE,
  DEFAULT_DOCKERFILE,
  dockerFailure,
  dockerRunArgs,
  normalizeDockerOptions,
} from '../../src/runner/docker.js';
import { run } from '../../src/runner/run.js';
import { serializeState } from '../../src/serialize.js';
import { createSessionFactory } from '../../src/session/factory.js';
import { projectFolderName } from '../../src/transcripts/folder-name.js';
import { type RealClaude, startRealClaude } from './support/real-claude.js';

let cli: RealClaude;
let docker: RecordingDocker;
let env: Record<string, string | undefined>;
beforeAll(async () => {
  cli = await startRealClaude();
  docker = makeRecordingDocker(join(cli.sandbox.root, 'docker'), cli.env.CLAUDE_BIN as string, {
    missingImages: [DEFAULT_DOCKER_IMAGE],
  });
  env = { ...cli.env, PATH: `${docker.binDir}:${process.env.PATH}` };
});
afterAll(async () => {
  await cli.close();
});

/** The value after each occurrence of `flag`. */
const valuesOf = (argv: string[], flag: string) =>
  argv.flatMap((a, i) => (a === flag && argv[i + 1] !== undefined ? [argv[i + 1] as string] : []));

describe('the docker run command line (pure mapping)', () => {
  it('mounts the workspace and its transcript folder, passes variables by name, then runs claude', () => {
    const mapped = dockerRunArgs({
      docker: { image: 'security-scanner', mounts: ['/data:/data:ro'], env: { SCAN_LEVEL: 'high' } },
      cwd: '/home/dev/app',
      configDir: '/home/dev/.claude',
      claudeArgs: ['-p', '--resume', 'abc'],
      env: { ANTHROPIC_API_KEY: 'sk-secret', HOME: '/home/dev', PATH: '/usr/bin', MY_TOKEN: 't', OTHER: 'x' },
      explicitEnv: ['MY_TOKEN'],
      tty: false,
      user: { uid: 1000, gid: 1000 },
    });
    expect(mapped.args).toEqual([
      'run',
      '--rm',
      '-i',
      '--init',
      '--user',
      '1000:1000',
      '--tmpfs',
      '/home/claude:uid=1000,gid=1000,mode=0700',
      '--workdir',
      '/workspace',
      '--volume',
      '/home/dev/app:/workspace',
      '--volume',
      '/home/dev/.claude/projects/-home-dev-app:/home/claude/.claude/projects/-workspace',
      '--volume',
      '/data:/data:ro',
      '--env',
      'HOME=/home/claude',
      '--env',
      'CLAUDE_CONFIG_DIR=/home/claude/.claude',
      '--env',
      'ANTHROPIC_API_KEY',
      '--env',
      'MY_TOKEN',
      '--env',
      'SCAN_LEVEL',
      'security-scanner',
      'claude',
      '-p',
      '--resume',
      'abc',
    ]);
    // Values travel in docker's environment, never on its command line.
    expect(mapped.args.join(' ')).not.toContain('sk-secret');
    expect(mapped.env.SCAN_LEVEL).toBe('high');
    expect(mapped.transcriptFolder).toBe('/home/dev/.claude/projects/-home-dev-app');
  });

  it('checks the option and names the bad field', () => {
    expect(normalizeDockerOptions(true, '/w')).toEqual({ image: DEFAULT_DOCKER_IMAGE });
    expect(normalizeDockerOptions(false, '/w')).toBeUndefined();
    expect(normalizeDockerOptions({ mounts: ['data:/data'] }, '/w')).toEqual({
      image: DEFAULT_DOCKER_IMAGE,
      mounts: ['/w/data:/data'],
    });
    expect(() => normalizeDockerOptions({ mounts: ['/data'] }, '/w')).toThrow(/docker\.mounts\[0\]/);
    expect(() => normalizeDockerOptions({ env: { 'A-B': 'x' } }, '/w')).toThrow(InvalidArgumentError);
    expect(() => normalizeDockerOptions({ imgae: 'x' } as never, '/w')).toThrow(/docker\.imgae/);
    expect(DEFAULT_DOCKERFILE).toContain('@anthropic-ai/claude-code');
  });

  it("turns docker's own failures into errors that say what to check", () => {
    const failed = (exitCode: number, stderr: string) => new ClaudeRunError('x', { exitCode, stderr });
    const down = dockerFailure(
      failed(
        1,
        'docker: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?',
      ),
    );
    expect(DockerNotAvailableError.is(down)).toBe(true);
    expect((down as Error).message).toMatch(/Start the Docker daemon/);
    const noImage = dockerFailure(
      failed(125, 'docker: Error response from daemon: pull access denied for nope'),
    );
    expect(ClaudeRunError.is(noImage)).toBe(true);
    expect((noImage as Error).message).toMatch(
      /^docker run failed \(exit code 125\): .*pull access denied.*image name/,
    );
    expect((dockerFailure(failed(127, 'exec: "claude": not found')) as Error).message).toMatch(
      /`claude` on its PATH/,
    );
    const claudeFailed = failed(1, 'API error');
    expect(dockerFailure(claudeFailed)).toBe(claudeFailed);
  });
});

describe('a three-turn session in Docker (recording docker, real claude)', { timeout: 90_000 }, () => {
  it('keeps its Docker config, mounts the transcript folder and carries the history', async () => {
    const storage = new MemorySessionStorage();
    const session = createSessionFactory({ storage: () => storage });
    const work = join(cli.sandbox.root, 'scanner-work');
    mkdirSync(join(work, 'src'), { recursive: true });
    const s = session({ name: 'security', cwd: join(work, 'src'), defaults: { env } });

    const first = await s.claude('Analyze security vulnerabilities', {
      docker: { image: 'security-scanner', mounts: ['../data:/data:ro'], env: { SCAN_LEVEL: 'high' } },
    });
    const second = await s.claude('Fix the SQL injection issue');
    const loaded = await session.load('security', { defaults: { env: { ...env, SCAN_LEVEL: 'low' } } });
    const third = await loaded.claude('Add a regression test');
    expect([first.text, second.text, third.text]).toEqual([
      'turn 1: Analyze security vulnerabilities',
      'turn 2: Fix the SQL injection issue',
      'turn 3: Add a regression test',
    ]);
    expect(cli.mock.messageRequests().map((r) => r.userTurns)).toEqual([1, 2, 3]);
    const id = first.sessionId;
    expect([second.sessionId, third.sessionId]).toEqual([id, id]);

    const runs = docker.runs();
    expect(runs).toHaveLength(3);
    const cwd = join(work, 'src');
    const folder = join(cli.sandbox.configDir, 'projects', projectFolderName(cwd));
    for (const [i, call] of runs.entries()) {
      const argv = call.argv;
      expect(valuesOf(argv, '--workdir')).toEqual(['/workspace']);
      expect(valuesOf(argv, '--volume')).toEqual([
        `${cwd}:/workspace`,
        `${folder}:/home/claude/.claude/projects/-workspace`,
        `${join(work, 'data')}:/data:ro`,
      ]);
      const image = argv.indexOf('security-scanner');
      expect(argv.slice(image + 1, image + 6)).toEqual([
        'claude',
        '-p',
        '--output-format',
        'stream-json',
        '--verbose',
      ]);
      expect(argv.slice(image + 6, image + 8)).toEqual(i === 0 ? ['--session-id', id] : ['--resume', id]);
      expect(argv.join(' ')).not.toContain('sk-ant-mock');
      expect(valuesOf(argv, '--env')).toContain('ANTHROPIC_API_KEY');
      expect(call.containerEnv).toMatchObject({
        HOME: '/home/claude',
        CLAUDE_CONFIG_DIR: '/home/claude/.claude',
        ANTHROPIC_BASE_URL: cli.mock.url,
      });
      expect(call.containerEnv).not.toHaveProperty('CLAUDE_BIN');
      expect(call.hostCwd).toBe(cwd);
    }
    // docker.env values are not stored: turn 2 had none in its environment, turn 3 took the caller's.
    expect(runs.map((r) => r.containerEnv?.SCAN_LEVEL)).toEqual(['high', undefined, 'low']);
    const stored = await storage.load('security');
    expect(stored.metadata.runOptions).toEqual({
      docker: {
        image: 'security-scanner',
        mounts: [`${join(work, 'data')}:/data:ro`],
        envNames: ['SCAN_LEVEL'],
      },
    });
    expect(serializeState(stored)).not.toContain('high');
    // The transcript the container wrote is on this machine, in the mounted folder, and mirrored.
    const mirrored = await storage.loadTranscript('security', id);
    expect(mirrored?.length).toBeGreaterThan(10);
  });

  it('gives DockerNotAvailableError without docker on PATH, before anything runs or is stored', async () => {
    const storage = new MemorySessionStorage();
    const session = createSessionFactory({ storage: () => storage });
    const requests = cli.mock.messageRequests().length;
    const noDocker = { ...cli.env, PATH: join(cli.sandbox.root, 'empty-bin') };
    const err = await session({ name: 'no-docker', defaults: { env: noDocker } })
      .claude('hi', { docker: true })
      .catch((e: unknown) => e);
    expect(DockerNotAvailableError.is(err)).toBe(true);
    expect((err as Error).message).toMatch(/`docker` command.*not on PATH/);
    const direct = await run('hi', { docker: true, env: noDocker }).catch((e: unknown) => e);
    expect(DockerNotAvailableError.is(direct)).toBe(true);
    expect(cli.mock.messageRequests()).toHaveLength(requests);
    expect(await storage.list()).toEqual([]);
  });

  it('a detached run goes through docker run too', async () => {
    const before = docker.runs().length;
    const handle = await detached('in the background', {
      docker: { image: 'img' },
      env,
      cwd: cli.sandbox.cwd,
    });
    const result = await handle.wait();
    handle.removeLogs();
    expect(result.text).toBe('turn 1: in the background');
    const call = docker.runs().at(before);
    expect(call?.argv).toContain('img');
    expect(call?.hostCwd).toBe(cli.sandbox.cwd);
  });

  it('docker: true builds the default image once when it is missing', async () => {
    const before = docker.calls().length;
    const first = await run('default image', { docker: true, env, cwd: cli.sandbox.cwd });
    await run('again', { docker: true, env, cwd: cli.sandbox.cwd, resume: first.sessionId });
    const calls = docker.calls().slice(before);
    expect(calls.map((c) => c.argv.slice(0, 2).join(' '))).toEqual([
      'image inspect',
      'build --tag',
      'run --rm',
      'image inspect',
      'run --rm',
    ]);
    expect(calls[1]?.stdin).toBe(DEFAULT_DOCKERFILE);
    expect(calls[2]?.argv).toContain(DEFAULT_DOCKER_IMAGE);
  });
});
