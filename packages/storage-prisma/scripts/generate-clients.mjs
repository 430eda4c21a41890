#!/usr/bin/env node
// Generates the package's PrismaClients from schema/channelcoder.prisma (all gitignored), skipping those whose
// inputs are unchanged:
// - src/generated/<provider>: the client openPrismaSessionStorage() uses, bundled into dist by tsup
//   (from prisma/bundled/<provider>.prisma); `--bundled` generates only these (the build).
// - generated/client-<provider>: the clients the tests and benchmarks use, as a user would generate them
//   (from test/prisma/<provider>.prisma).
// Prisma's schema engine cannot be downloaded everywhere; `generate` never runs it, so a stub that exits 1
// stands in for it (PRISMA_SCHEMA_ENGINE_BINARY), unless the caller set a real one.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const prismaCli = require.resolve('prisma/build/index.js');
const prismaVersion = JSON.parse(readFileSync(require.resolve('prisma/package.json'), 'utf8')).version;
const models = join(root, 'schema', 'channelcoder.prisma');

// typecheck and test may start at once (turbo, vitest projects): one generator at a time.
const lock = join(root, 'generated', '.generate.lock');
mkdirSync(join(root, 'generated'), { recursive: true });
for (let waited = 0; ; waited += 100) {
  try {
    mkdirSync(lock);
    break;
  } catch (err) {
    if (err.code !== 'EEXIST') throw err;
    // A lock older than two minutes belongs to a generator that died.
    if (Date.now() - statSync(lock, { throwIfNoEntry: false })?.mtimeMs > 120_000)
      rmSync(lock, { force: true, recursive: true });
    if (waited > 180_000) throw new Error(`timed out waiting for ${lock}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
try {
  generateAll();
} finally {
  rmSync(lock, { force: true, recursive: true });
}

function targets() {
  const bundledOnly = process.argv.includes('--bundled');
  const list = [];
  for (const provider of ['postgresql', 'sqlite']) {
    list.push({
      base: join(root, 'prisma', 'bundled', `${provider}.prisma`),
      schemaDir: join(root, 'generated', `schema-bundled-${provider}`),
      clientDir: join(root, 'src', 'generated', provider),
    });
    if (bundledOnly) continue;
    list.push({
      base: join(root, 'test', 'prisma', `${provider}.prisma`),
      schemaDir: join(root, 'generated', `schema-${provider}`),
      clientDir: join(root, 'generated', `client-${provider}`),
    });
  }
  return list;
}

function generateAll() {
  for (const { base, schemaDir, clientDir } of targets()) {
    const stamp = join(clientDir, '.inputs-sha256');
    const hash = createHash('sha256')
      .update(prismaVersion)
      .update(readFileSync(base))
      .update(readFileSync(models))
      .digest('hex');
    if (existsSync(stamp) && readFileSync(stamp, 'utf8') === hash) continue;
    rmSync(schemaDir, { recursive: true, force: true });
    rmSync(clientDir, { recursive: true, force: true });
    mkdirSync(schemaDir, { recursive: true });
    copyFileSync(base, join(schemaDir, 'schema.prisma'));
    copyFileSync(models, join(schemaDir, 'channelcoder.prisma'));
    execFileSync(process.execPath, [prismaCli, 'generate', '--schema', schemaDir], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: {
        ...process.env,
        PRISMA_SCHEMA_ENGINE_BINARY:
          process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? join(root, 'scripts', 'schema-engine-stub.sh'),
        PRISMA_HIDE_UPDATE_MESSAGE: '1',
        CHECKPOINT_DISABLE: '1',
      },
    });
    writeFileSync(stamp, hash);
  }
}
