// Minimal stores built the way the Agent SDK's published reference designs are (facts of their design,
// written here for the benchmark only): what `listSessions(projectKey)` costs when a store keeps nothing
// but the SDK's transcripts. Only `append` and `listSessions` of main transcripts are implemented.
//   redis:       a list per transcript and a sorted set per project scored by mtime; listing = ZRANGE.
//   s3:          one object per append under `<prefix><projectKey>/<sessionId>/`; listing = one
//                ListObjectsV2 of the project's prefix, grouped by session.
//   postgresql:  one row per entry with (project_key, session_id, subpath, mtime) indexed; listing = one
//                grouped SELECT.
import { ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Redis } from 'ioredis';
import pg from 'pg';

export async function openReferenceStore(spec) {
  switch (spec.kind) {
    case 'redis':
      return redisReference(spec.url, `${spec.prefix}reference:`);
    case 's3':
      return s3Reference(spec);
    case 'postgresql':
      return postgresReference(spec);
    default:
      throw new Error(`no reference store for ${spec.kind}`);
  }
}

function redisReference(url, prefix) {
  const client = new Redis(url);
  return {
    async append({ projectKey, sessionId }, entries) {
      await client
        .multi()
        .rpush(`${prefix}${projectKey}:${sessionId}`, ...entries.map((e) => JSON.stringify(e)))
        .zadd(`${prefix}${projectKey}:__sessions`, Date.now(), sessionId)
        .exec();
    },
    async listSessions(projectKey) {
      const flat = await client.zrange(`${prefix}${projectKey}:__sessions`, 0, -1, 'WITHSCORES');
      const out = [];
      for (let i = 0; i < flat.length; i += 2) out.push({ sessionId: flat[i], mtime: Number(flat[i + 1]) });
      return out;
    },
    async close() {
      client.disconnect();
    },
  };
}

function s3Reference(spec) {
  const client = new S3Client({
    endpoint: spec.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  const root = `${spec.prefix}reference/`;
  let seq = 0;
  return {
    async append({ projectKey, sessionId }, entries) {
      const part = `${Date.now().toString().padStart(15, '0')}-${String(seq++).padStart(8, '0')}`;
      await client.send(
        new PutObjectCommand({
          Bucket: spec.bucket,
          Key: `${root}${projectKey}/${sessionId}/${part}.jsonl`,
          Body: entries.map((e) => `${JSON.stringify(e)}\n`).join(''),
        }),
      );
    },
    async listSessions(projectKey) {
      const latest = new Map();
      let token;
      do {
        const out = await client.send(
          new ListObjectsV2Command({
            Bucket: spec.bucket,
            Prefix: `${root}${projectKey}/`,
            ContinuationToken: token,
          }),
        );
        for (const o of out.Contents ?? []) {
          const sessionId = o.Key.slice(`${root}${projectKey}/`.length).split('/')[0];
          const mtime = o.LastModified?.getTime() ?? 0;
          if ((latest.get(sessionId) ?? -1) < mtime) latest.set(sessionId, mtime);
        }
        token = out.NextContinuationToken;
      } while (token !== undefined);
      return [...latest].map(([sessionId, mtime]) => ({ sessionId, mtime }));
    },
    async close() {
      client.destroy();
    },
  };
}

async function postgresReference(spec) {
  const base = spec.url.replace(/[?&]schema=[^&]*/, '');
  const pool = new pg.Pool({ connectionString: base, max: 4 });
  const table = `"${spec.schema}".reference_entries`;
  await pool.query(`CREATE SCHEMA IF NOT EXISTS "${spec.schema}"`);
  await pool.query(
    `CREATE TABLE IF NOT EXISTS ${table} (id bigserial PRIMARY KEY, project_key text NOT NULL,
       session_id text NOT NULL, subpath text NOT NULL DEFAULT '', entry jsonb NOT NULL, mtime bigint NOT NULL)`,
  );
  await pool.query(
    `CREATE INDEX IF NOT EXISTS reference_entries_key ON ${table} (project_key, subpath, session_id, mtime)`,
  );
  return {
    async append({ projectKey, sessionId }, entries) {
      await pool.query(
        `INSERT INTO ${table} (project_key, session_id, entry, mtime)
           SELECT $1, $2, e, $4 FROM jsonb_array_elements($3::jsonb) AS e`,
        [projectKey, sessionId, JSON.stringify(entries), Date.now()],
      );
    },
    async listSessions(projectKey) {
      const r = await pool.query(
        `SELECT session_id, max(mtime) AS mtime FROM ${table}
           WHERE project_key = $1 AND subpath = '' GROUP BY session_id`,
        [projectKey],
      );
      return r.rows.map((row) => ({ sessionId: row.session_id, mtime: Number(row.mtime) }));
    },
    async close() {
      await pool.end();
    },
  };
}
