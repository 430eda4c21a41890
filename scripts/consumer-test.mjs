// Installs the packed tarballs into a project OUTSIDE the workspace with plain `npm install`, the way a
// user installs core plus a chosen adapter (plus that backend's client from the registry), and runs one
// script per adapter that saves, loads and lists a session against a real backend, from ESM and CommonJS.
//   file:  a temporary directory
//   redis: CHANNELCODER_TEST_REDIS_URL (scripts/test.sh starts a redis-server and sets it)
//   s3:    a private s3rver on 127.0.0.1 started here and stopped at the end
//   prisma: CHANNELCODER_TEST_DATABASE_URL (PostgreSQL), a schema of its own; the project generates its
//          Prisma client (schema-engine stub, as the adapter's README says) and runs `channelcoder-prisma migrate`
// Set CONSUMER_RUNTIME=bun to run the scripts under Bun instead of Node.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pack, publicPackages, root } from './packages.mjs';

const runtime = process.env.CONSUMER_RUNTIME ?? 'node';
const redisUrl = process.env.CHANNELCODER_TEST_REDIS_URL;
const databaseUrl = process.env.CHANNELCODER_TEST_DATABASE_URL;
const pgSchema = `consumer_${process.pid}`;
const registryDeps = {
  '@channelcoder/storage-redis': ['ioredis@6.0.0'],
  '@channelcoder/storage-s3': ['@aws-sdk/client-s3@3.1169.0'],
  '@channelcoder/storage-prisma': [
    '@prisma/client@7.10.0',
    '@prisma/adapter-pg@7.10.1',
    'pg@8.23.1',
    'prisma@7.10.1',
  ],
};
const wanted = [
  '@channelcoder/session-core',
  '@channelcoder/storage-file',
  '@channelcoder/storage-redis',
  '@channelcoder/storage-s3',
  '@channelcoder/storage-prisma',
];
const packages = publicPackages().filter(
  (p) => wanted.includes(p.manifest.name) && existsSync(join(p.dir, 'dist')),
);
const project = mkdtempSync(join(tmpdir(), 'channelcoder-consumer-'));

/** The common check: save a two-message session, load it, list it, and see a missing one rejected. */
const checkBody = (label) => `
let state = createSessionState({ name: 'consumer-${label}' });
state = recordTurn(state, { prompt: 'hello', result: { sessionId: 'c0ffee00-0000-4000-8000-000000000001', text: 'hi', totalCostUsd: 0.01 } });
const name = await storage.save(state);
const loaded = await storage.load(name);
if (loaded.messages.length !== 2 || !(loaded.metadata.created instanceof Date) || loaded.revision !== 1) throw new Error('round trip failed');
const listed = await storage.list({ prefix: 'consumer-' });
if (!listed.some((i) => i.name === name && i.messageCount === 2)) throw new Error('list failed: ' + JSON.stringify(listed));
const missing = await storage.load('nope').catch((e) => e);
if (!SessionNotFoundError.is(missing)) throw new Error('expected SessionNotFoundError, got ' + missing);
await storage.remove(name);
console.log('${label} ok:', name, loaded.messages.length, 'messages,', listed.length, 'listed');
`;

const scripts = {
  'file.mjs': {
    needs: '@channelcoder/storage-file',
    code: `import { createSessionState, recordTurn, SessionNotFoundError } from '@channelcoder/session-core';
import { FileSessionStorage } from '@channelcoder/storage-file';
const storage = new FileSessionStorage(${JSON.stringify(join(project, 'sessions'))});
${checkBody('file')}`,
  },
  'file.cjs': {
    needs: '@channelcoder/storage-file',
    code: `const { createSessionState } = require('@channelcoder/session-core');
const { FileSessionStorage } = require('@channelcoder/storage-file');
(async () => {
  const storage = new FileSessionStorage(${JSON.stringify(join(project, 'sessions'))});
  const name = await storage.save(createSessionState({ name: 'consumer-cjs' }));
  const listed = await storage.list();
  if (!listed.some((i) => i.name === name)) throw new Error('cjs list failed');
  console.log('file cjs ok:', listed.map((i) => i.name).join(', '));
})().catch((e) => { console.error(e); process.exit(1); });
`,
  },
  'redis.mjs': {
    needs: '@channelcoder/storage-redis',
    skip: redisUrl ? undefined : 'CHANNELCODER_TEST_REDIS_URL is not set',
    code: `import { createSessionState, recordTurn, SessionNotFoundError } from '@channelcoder/session-core';
import { RedisSessionStorage } from '@channelcoder/storage-redis';
import Redis from 'ioredis';
const client = new Redis(${JSON.stringify(redisUrl ?? '')});
const storage = new RedisSessionStorage({ client, prefix: 'consumer-${process.pid}:' });
try {
${checkBody('redis')}
} finally {
  client.disconnect();
}`,
  },
  's3.mjs': {
    needs: '@channelcoder/storage-s3',
    code: `import { createSessionState, recordTurn, SessionNotFoundError } from '@channelcoder/session-core';
import { S3SessionStorage } from '@channelcoder/storage-s3';
import { S3Client } from '@aws-sdk/client-s3';
const client = new S3Client({
  endpoint: process.env.CONSUMER_S3_ENDPOINT, region: 'us-east-1', forcePathStyle: true,
  credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
});
const storage = new S3SessionStorage({ client, bucket: process.env.CONSUMER_S3_BUCKET, prefix: 'consumer/' });
try {
${checkBody('s3')}
} finally {
  client.destroy();
}`,
  },
  'prisma.mjs': {
    needs: '@channelcoder/storage-prisma',
    skip: databaseUrl ? undefined : 'CHANNELCODER_TEST_DATABASE_URL is not set',
    prepare: preparePrisma,
    code: `import { createSessionState, recordTurn, SessionNotFoundError } from '@channelcoder/session-core';
import { migrate, PrismaSessionStorage } from '@channelcoder/storage-prisma';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from './generated/client/index.js';
const url = ${JSON.stringify(databaseUrl ?? '')};
const schema = ${JSON.stringify(pgSchema)};
await migrate({ url, schema });
const pool = new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 5000 });
const prisma = new PrismaClient({ adapter: new PrismaPg(pool, { schema }) });
const storage = new PrismaSessionStorage({ prisma });
try {
${checkBody('prisma')}
} finally {
  await prisma.$disconnect();
  await pool.query('DROP SCHEMA "' + schema + '" CASCADE');
  await pool.end();
}`,
  },
};

/** The user's side of the Prisma setup: their schema with our models, a generated client. */
function preparePrisma() {
  const schemaDir = join(project, 'prisma');
  mkdirSync(schemaDir, { recursive: true });
  writeFileSync(
    join(schemaDir, 'schema.prisma'),
    'generator client {\n  provider = "prisma-client-js"\n  output   = "../generated/client"\n}\n\n' +
      'datasource db {\n  provider = "postgresql"\n}\n',
  );
  copyFileSync(
    join(project, 'node_modules/@channelcoder/storage-prisma/schema/channelcoder.prisma'),
    join(schemaDir, 'channelcoder.prisma'),
  );
  const stub = join(project, 'prisma-schema-engine-stub');
  writeFileSync(stub, '#!/bin/sh\nexit 1\n', { mode: 0o755 });
  execFileSync('npx', ['prisma', 'generate', '--schema', 'prisma'], {
    cwd: project,
    stdio: 'inherit',
    env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: stub, PRISMA_HIDE_UPDATE_MESSAGE: '1' },
  });
}

let s3;
try {
  const names = packages.map((p) => p.manifest.name);
  const tarballs = packages.map((p) => pack(p, join(project, 'tarballs')));
  const fromRegistry = names.flatMap((n) => registryDeps[n] ?? []);
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, version: '1.0.0' }),
  );
  console.log(`installing ${names.join(', ')} (packed) + ${fromRegistry.join(', ') || 'nothing'} (registry)`);
  execFileSync(
    'npm',
    ['install', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs, ...fromRegistry],
    {
      cwd: project,
      stdio: 'inherit',
    },
  );
  const env = { ...process.env };
  if (names.includes('@channelcoder/storage-s3')) {
    const { startS3rver } = await import(join(root, 'packages/storage-s3/test/support/s3rver-launcher.mjs'));
    s3 = await startS3rver({ bucket: 'consumer-bucket' });
    env.CONSUMER_S3_ENDPOINT = s3.endpoint;
    env.CONSUMER_S3_BUCKET = s3.bucket;
  }
  for (const [file, script] of Object.entries(scripts)) {
    if (!names.includes(script.needs)) {
      console.log(`skipped ${file}: ${script.needs} is not built`);
      continue;
    }
    if (script.skip) {
      console.log(`skipped ${file}: ${script.skip}`);
      continue;
    }
    script.prepare?.();
    writeFileSync(join(project, file), script.code);
    execFileSync(runtime, [file], { cwd: project, stdio: 'inherit', env });
  }
  console.log(`consumer install test passed (${runtime}, outside the workspace: ${project})`);
} finally {
  await s3?.stop();
  if (!process.env.KEEP_CONSUMER) rmSync(project, { recursive: true, force: true });
}
