/**
 * How each code block of the guide becomes programs: blocks that are not programs (with the reason), and
 * what a program needs that the guide leaves to the reader (a prelude above its code: imports, clients, the
 * placeholders of "Session Methods"; an epilogue closing the clients; one turn for a snippet that only
 * creates a session). Marked in each program with a `// (the test)` comment.
 */
import { createdSession, type GuideProgram, missingImports, programsOf, runsNoTurn } from './programs.js';
import type { GuideBlock } from './seed.js';

/** The block under a heading, failing clearly when the guide changed. */
export function guideBlock(blocks: GuideBlock[], id: string): GuideBlock {
  const found = blocks.find((b) => b.id === id);
  if (found === undefined) throw new Error(`The guide has no code block under "${id}" any more`);
  return found;
}

/** Blocks that are not programs, with the reason (shown in the skipped test's name). */
export const NOT_RUN: Record<string, string> = {
  'Session Types': 'declarations describing the API (streamBase and the like are not exported names)',
  'Storage Format': 'the JSON shape of a stored session, not a program',
  'Custom Storage Adapters':
    'the interface itself; "Custom Storage Implementation" compiles a class against it',
  'Storage Adapter Guidelines': 'a skeleton whose methods have empty bodies (it does not compile, by design)',
  'Common Issues #3': 'comments only',
};

/** What a program needs that the guide leaves to the reader, put above its code. */
const PRELUDES: Record<string, string> = {
  'Session Methods': [
    "const prompt = 'Which session methods are there?';",
    'const options = {};',
    "const name = 'session-methods-demo';",
    "const newId = '00000000-0000-4000-8000-000000000000';",
  ].join('\n'),
  'Custom Storage Implementation': "import { Database, myDatabase } from '../fixtures/database.js';",
  'Creating Sessions — part 5 (With custom storage adapter)':
    "import { DatabaseStorage } from '../fixtures/database-storage.js';\nimport { myDb } from '../fixtures/database.js';",
  'Cloud Storage Example': [
    "import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';",
    `const s3Client = new S3Client(${S3_CLIENT_OPTIONS('process.env.GUIDE_S3_ENDPOINT')});`,
  ].join('\n'),
  'Redis Storage Example': [
    "import { Redis as RedisClient } from 'ioredis';",
    'const redisClient = new RedisClient(process.env.GUIDE_REDIS_URL as string, { keyPrefix: process.env.GUIDE_REDIS_PREFIX });',
  ].join('\n'),
  '1. Meaningful Names': 'const s = session();',
  'Common Issues #2': 'const s = session();',
};

/** What a program needs after its code: closing the clients a prelude opened, so the process can end. */
const EPILOGUES: Record<string, string> = {
  'Cloud Storage Example': 's3Client.destroy();',
  'Redis Storage Example': 'await redisClient.quit();',
};

/** The S3 client options for s3rver (its fixed key pair; path-style; checksums only when required). */
function S3_CLIENT_OPTIONS(endpoint: string): string {
  return `{ endpoint: ${endpoint}, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' }`;
}

/** The guide's DatabaseStorage class as a module, for the snippets that use it outside its own section. */
export function databaseStorageModule(blocks: GuideBlock[]): string {
  const code = guideBlock(blocks, 'Custom Storage Implementation').code;
  const start = code.indexOf('class DatabaseStorage');
  const end = code.indexOf('\n}\n', start);
  const imports = code.split('\n').filter((l) => l.startsWith('import '));
  return [
    ...imports,
    "import { Database } from './database.js';",
    `export ${code.slice(start, end + 2)}`,
  ].join('\n');
}

export interface Program extends GuideProgram {
  /** Path of the TypeScript file in the project. */
  source: string;
  text: string;
  allowUnstored: boolean;
}

export function programs(b: GuideBlock): Program[] {
  return programsOf(b).map((p) => {
    const prelude = PRELUDES[p.label] ?? PRELUDES[b.id];
    const used = createdSession(`${prelude ?? ''}\n${p.code}`);
    const probe =
      runsNoTurn(p.code) && used !== undefined
        ? `\n// (the test) then use it for one turn:\nawait ${used}.claude('${p.label.replace(/'/g, '')}: first turn');\n`
        : '';
    const epilogue = EPILOGUES[p.label] ?? EPILOGUES[b.id];
    const closing =
      epilogue === undefined ? '' : `// (the test) close what the prelude opened:\n${epilogue}\n`;
    const text = `${missingImports(`${prelude ?? ''}\n${p.code}`)}${prelude === undefined ? '' : `${prelude}\n`}${p.code}\n${probe}${closing}`;
    // Turns of a session the program chose not to store, or removed itself, cannot be found stored.
    const allowUnstored = /autoSave:\s*false/.test(p.code) || /session\.remove\(/.test(p.code);
    return { ...p, source: `src/${p.file}.ts`, text, allowUnstored };
  });
}
