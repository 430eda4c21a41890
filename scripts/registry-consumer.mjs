// The release round trip, as a user meets it: publish every public package to a private registry with the
// project's own release command (`pnpm release`), then, in projects outside the workspace that install
// from that registry only, install @channelcoder/session-core + one adapter (+ its backend client) + the
// conformance suite with npm, pnpm and Bun, and run that adapter's conformance suite FROM THE INSTALLED
// @channelcoder/storage-conformance against its real backend; and `npx channelcoder --version` plus one
// `channelcoder run` against the mock Anthropic API.
//
// Usage (scripts/registry-consumer.sh wraps it): REGISTRY_URL and NPM_CONFIG_USERCONFIG from
// scripts/registry.sh; CHANNELCODER_TEST_REDIS_URL / CHANNELCODER_TEST_DATABASE_URL (scripts/services.sh);
// CONSUMER_NODE_BINS="20=/path/bin 22=/path/bin 24=/path/bin"; CONSUMER_BUN=/path/to/bun.
// Prints one timing line per runtime at the end.
import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { publicPackages, root } from './packages.mjs';

const registry = required('REGISTRY_URL');
const userconfig = required('NPM_CONFIG_USERCONFIG');
required('CHANNELCODER_TEST_REDIS_URL'); // read by the Redis suite
required('CHANNELCODER_TEST_DATABASE_URL'); // read by the PostgreSQL suite
const bun = required('CONSUMER_BUN');
const nodeBins = Object.fromEntries(
  required('CONSUMER_NODE_BINS')
    .split(/\s+/)
    .filter(Boolean)
    .map((pair) => pair.split('=')),
);
const timings = new Map();
const failures = [];

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (see the header of scripts/registry-consumer.mjs)`);
  return value;
}

async function timed(runtime, label, fn) {
  const start = performance.now();
  try {
    await fn();
    console.log(`ok   ${label}`);
  } catch (err) {
    failures.push(label);
    console.log(`FAIL ${label}: ${err.message}`);
  } finally {
    timings.set(runtime, (timings.get(runtime) ?? 0) + (performance.now() - start));
  }
}

/**
 * Runs a command without blocking this process's event loop (the mock Anthropic API answers from it, and
 * the installs and suites of the package managers run side by side), showing its output only when it fails.
 */
async function shAsync(cmd, args, options = {}) {
  try {
    const { stdout } = await promisify(execFile)(cmd, args, {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      ...options,
    });
    return stdout;
  } catch (err) {
    const out = `${err.stdout ?? ''}${err.stderr ?? ''}`.split('\n').slice(-60).join('\n');
    throw new Error(`${cmd} ${args.join(' ')} failed: ${err.message.split('\n')[0]}\n${out}`);
  }
}

/** Runs a command, showing its output only when it fails. */
function sh(cmd, args, options = {}) {
  const run = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
  if (run.status !== 0) {
    const out = `${run.stdout ?? ''}${run.stderr ?? ''}`.split('\n').slice(-60).join('\n');
    throw new Error(`${cmd} ${args.join(' ')} exited with ${run.status ?? run.signal}\n${out}`);
  }
  return run.stdout;
}

const baseEnv = { ...process.env, NPM_CONFIG_USERCONFIG: userconfig, npm_config_registry: registry };
const envWithNode = (major) => ({ ...baseEnv, PATH: `${nodeBins[major]}:${process.env.PATH}` });

// 1. Publish with the release command. changeset publish tags each release in git; those tags name a
// release that went to this private registry only, so they are removed again.
const tagsBefore = new Set(sh('git', ['tag', '--list'], { cwd: root }).split('\n'));
console.log(`==> pnpm release → ${registry}`);
const release = spawnSync('pnpm', ['release'], { cwd: root, env: baseEnv, encoding: 'utf8' });
const newTags = sh('git', ['tag', '--list'], { cwd: root })
  .split('\n')
  .filter((t) => t && !tagsBefore.has(t));
if (newTags.length > 0) sh('git', ['tag', '-d', ...newTags], { cwd: root });
if (release.status !== 0) {
  console.log(release.stdout, release.stderr);
  throw new Error('pnpm release failed');
}
for (const pkg of publicPackages()) {
  const { name, version } = pkg.manifest;
  const seen = sh('npm', ['view', `${name}@${version}`, 'version', '--registry', registry], {
    env: baseEnv,
  }).trim();
  if (seen !== version)
    throw new Error(`${name}@${version} is not on the registry after the release (got "${seen}")`);
  console.log(`published ${name}@${version}`);
}

// 2. Backends.
const { startS3rver } = await import(join(root, 'packages/storage-s3/test/support/s3rver-launcher.mjs'));
const s3 = await startS3rver({ bucket: 'consumer-bucket' });
const testkit = await import(join(root, 'packages/testkit/dist/index.js'));

const adapters = {
  file: {
    packages: ['@channelcoder/storage-file'],
    suite: `import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileSessionStorage } from '@channelcoder/storage-file';
export const label = 'FileSessionStorage';
export const factory = () => new FileSessionStorage({ dir: mkdtempSync(join(tmpdir(), 'cc-consumer-')) });
export const options = { destroy: async (s) => { await s.close(); rmSync(s.root, { recursive: true, force: true }); } };
export const after = async () => {};
`,
  },
  redis: {
    packages: ['@channelcoder/storage-redis', 'ioredis@6.0.0'],
    suite: `import { Redis } from 'ioredis';
import { RedisSessionStorage } from '@channelcoder/storage-redis';
const client = new Redis(process.env.CHANNELCODER_TEST_REDIS_URL, { lazyConnect: true });
let made = 0;
export const label = 'RedisSessionStorage';
export const factory = () => new RedisSessionStorage({ client, prefix: 'consumer-' + process.pid + '-' + made++ + ':' });
export const options = {
  destroy: async (s) => {
    await s.close();
    const keys = await client.keys(s.prefix + '*');
    if (keys.length > 0) await client.del(...keys);
  },
};
export const after = () => client.quit();
`,
  },
  s3: {
    packages: ['@channelcoder/storage-s3', '@aws-sdk/client-s3@3.1169.0'],
    suite: `import { DeleteObjectsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { S3SessionStorage } from '@channelcoder/storage-s3';
const client = new S3Client({
  endpoint: process.env.CONSUMER_S3_ENDPOINT, region: 'us-east-1', forcePathStyle: true,
  credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
});
const Bucket = process.env.CONSUMER_S3_BUCKET;
let made = 0;
export const label = 'S3SessionStorage on s3rver';
export const factory = () => new S3SessionStorage({ client, bucket: Bucket, prefix: 'consumer-' + process.pid + '-' + made++ + '/' });
export const options = {
  destroy: async (s) => {
    await s.close();
    const listed = await client.send(new ListObjectsV2Command({ Bucket, Prefix: s.prefix }));
    const Objects = (listed.Contents ?? []).map((o) => ({ Key: o.Key }));
    if (Objects.length > 0) await client.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects } }));
  },
  skip: {
    concurrency: 's3rver ignores If-Match / If-None-Match; the repository runs it against an enforcing endpoint',
    lease: 's3rver ignores If-Match / If-None-Match, so two holders could both take the lease; the repository runs it against an enforcing endpoint',
    trash: 's3rver ignores If-Match, which commits a move to the trash against a racing save; the repository runs it against an enforcing endpoint',
  },
  skipAgentConcurrency: 's3rver ignores If-Match, which orders racing transcript appends; the repository runs it against an enforcing endpoint',
};
export const after = () => client.destroy();
`,
  },
  postgresql: {
    packages: [
      '@channelcoder/storage-prisma',
      '@prisma/client@7.10.0',
      '@prisma/adapter-pg@7.10.1',
      'pg@8.23.1',
    ],
    suite: `import pg from 'pg';
import { openPrismaSessionStorage } from '@channelcoder/storage-prisma';
const admin = new pg.Pool({ connectionString: process.env.CHANNELCODER_TEST_DATABASE_URL, max: 2 });
const schemas = new WeakMap();
let made = 0;
export const label = 'openPrismaSessionStorage on PostgreSQL';
export const factory = async () => {
  const schema = 'consumer_' + process.pid + '_' + made++;
  const url = new URL(process.env.CHANNELCODER_TEST_DATABASE_URL);
  url.searchParams.set('schema', schema);
  const { storage } = await openPrismaSessionStorage({ url: url.toString(), poolSize: 2 });
  schemas.set(storage, schema);
  return storage;
};
export const options = {
  destroy: async (s) => { await s.close(); await admin.query('DROP SCHEMA IF EXISTS "' + schemas.get(s) + '" CASCADE'); },
};
export const after = () => admin.end();
`,
  },
};

/** The test file: the installed suite on node:test (Node) or bun:test (Bun), whichever runs it. */
const testFile = `import { sessionStorageConformance } from '@channelcoder/storage-conformance';
import { after, factory, label, options } from './adapter.mjs';
const runner = typeof Bun === 'undefined' ? await import('node:test') : await import('bun:test');
const { afterAll, afterEach, describe, it } = runner;
sessionStorageConformance({ describe, it, afterEach }, label + (typeof Bun === 'undefined' ? ' (node ' + process.version + ')' : ' (bun)'), factory, {
  largeTranscriptBytes: 4 * 1024 * 1024,
  agentEntriesPerWriter: 20,
  ...options,
});
(afterAll ?? runner.after)(after);
`;

const installers = {
  npm: (dir, specs, env) =>
    shAsync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...specs], { cwd: dir, env }),
  pnpm: (dir, specs, env) =>
    shAsync('pnpm', ['add', '--reporter=append-only', `--registry=${registry}`, ...specs], {
      cwd: dir,
      env,
    }),
  bun: (dir, specs, env) =>
    shAsync(bun, ['add', ...specs], {
      cwd: dir,
      env: { ...env, BUN_CONFIG_REGISTRY: registry, NPM_CONFIG_REGISTRY: registry },
    }),
};

/**
 * Which runtimes run the suite in a project each package manager installed. Every adapter's suite runs from
 * each install on Node 24 (npm, pnpm) and Bun; Node 20 and 22 run the file adapter's suite and the CLI (the
 * remote adapters' code paths do not differ between Node lines, and each run takes minutes).
 */
const runsFor = (pm, adapter) => {
  if (pm === 'bun') return ['bun'];
  if (pm === 'pnpm' || adapter !== 'file') return ['node24'];
  return Object.keys(nodeBins).map((m) => `node${m}`);
};

const work = mkdtempSync(join(tmpdir(), 'channelcoder-registry-consumer-'));
const suiteEnv = { CONSUMER_S3_ENDPOINT: s3.endpoint, CONSUMER_S3_BUCKET: s3.bucket };
const started = performance.now();

/**
 * One package manager's projects, one after another (its installs share its cache). The package managers
 * run side by side with each other and with the CLI check: their projects, suites' backend keys (prefixes,
 * schemas by process id) and caches are separate, and most of an install is waiting on the registry.
 */
async function packageManagerLane(pm, install) {
  for (const [adapter, spec] of Object.entries(adapters)) {
    const dir = join(work, `${pm}-${adapter}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: `consumer-${pm}-${adapter}`, private: true, type: 'module' }),
    );
    writeFileSync(join(dir, 'adapter.mjs'), spec.suite);
    writeFileSync(join(dir, 'conformance.test.mjs'), testFile);
    const specs = ['@channelcoder/session-core', '@channelcoder/storage-conformance', ...spec.packages];
    await timed(pm === 'bun' ? 'bun' : 'node24', `${pm} install ${specs.join(' ')}`, () =>
      install(dir, specs, envWithNode(24)),
    );
    for (const runtime of runsFor(pm, adapter)) {
      const label = `${adapter} conformance from the installed suite (${pm} install, ${runtime})`;
      await timed(runtime, label, async () => {
        if (runtime === 'bun') {
          await shAsync(bun, ['test', '--timeout', '120000', './conformance.test.mjs'], {
            cwd: dir,
            env: { ...baseEnv, ...suiteEnv },
          });
        } else {
          await shAsync('node', ['--test', 'conformance.test.mjs'], {
            cwd: dir,
            env: { ...envWithNode(runtime.slice(4)), ...suiteEnv },
          });
        }
      });
    }
  }
}

// 3. The CLI: npx channelcoder --version and one run against the mock, on every runtime.
async function cliLane() {
  const cliDir = join(work, 'npm-cli');
  mkdirSync(cliDir, { recursive: true });
  writeFileSync(
    join(cliDir, 'package.json'),
    JSON.stringify({ name: 'consumer-cli', private: true, type: 'module' }),
  );
  await timed('node24', 'npm install channelcoder', () =>
    installers.npm(cliDir, ['channelcoder'], envWithNode(24)),
  );
  const mock = await testkit.MockAnthropicServer.start();
  try {
    const version = JSON.parse(
      await shAsync('npm', ['view', 'channelcoder', 'version', '--json'], { env: baseEnv }),
    );
    const cliRuns = [
      ...Object.keys(nodeBins).map((m) => [`node${m}`, envWithNode(m), ['npx', 'channelcoder']]),
      ['bun', baseEnv, [bun, 'x', 'channelcoder']],
    ];
    for (const [runtime, env, [cmd, ...pre]] of cliRuns) {
      await timed(runtime, `channelcoder --version and run against the mock (${runtime})`, async () => {
        const printed = (await shAsync(cmd, [...pre, '--version'], { cwd: cliDir, env })).trim();
        if (!printed.includes(version))
          throw new Error(`--version printed "${printed}", expected ${version}`);
        const home = mkdtempSync(join(tmpdir(), 'cc-consumer-home-'));
        const runEnv = {
          ...testkit.offlineClaudeEnv({
            baseUrl: mock.url,
            configDir: join(home, 'claude'),
            home,
            base: env,
          }),
          CLAUDE_BIN: testkit.claudeBinary(),
          CHANNELCODER_HOME: join(home, 'channelcoder'),
        };
        const out = await shAsync(
          cmd,
          [...pre, 'run', 'Hello from the registry', '--session', `consumer-${runtime}`],
          {
            cwd: cliDir,
            env: runEnv,
          },
        );
        if (out.trim().length === 0) throw new Error('channelcoder run printed nothing');
        const listed = await shAsync(cmd, [...pre, 'session', 'list'], { cwd: cliDir, env: runEnv });
        if (!listed.includes(`consumer-${runtime}`))
          throw new Error(`session list does not show the run:\n${listed}`);
        rmSync(home, { recursive: true, force: true });
      });
    }
  } finally {
    await mock.close();
  }
}

try {
  await Promise.all([
    ...Object.entries(installers).map(([pm, install]) => packageManagerLane(pm, install)),
    cliLane(),
  ]);
} finally {
  await s3.stop();
  if (!process.env.KEEP_CONSUMER) rmSync(work, { recursive: true, force: true });
}

console.log(
  `time per runtime (installs counted under the runtime that ran them; the package managers run side by side, ${((performance.now() - started) / 1000).toFixed(1)} s in all):`,
);
for (const [runtime, ms] of timings) console.log(`  ${runtime.padEnd(7)} ${(ms / 1000).toFixed(1)} s`);
if (failures.length > 0) {
  console.log(`${failures.length} registry consumer check(s) failed: ${failures.join('; ')}`);
  process.exit(1);
}
console.log('registry round trip passed');
