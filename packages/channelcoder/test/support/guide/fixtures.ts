/**
 * Files the guide's snippets need and the guide leaves to the reader: the `Database` its custom storage
 * talks to (rows in a JSON file, so a second run sees the first run's rows), and a recording `docker`.
 */

/** `fixtures/database.ts`: `Database` with the calls the guide's DatabaseStorage makes; `myDb`, `myDatabase`. */
export const DATABASE_FIXTURE = `import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export interface SessionRow { id: string; data: string; updated: Date }
type StoredRow = { id: string; data: string; updated: string };

const FILE = 'guide-db.json';
const read = (): Record<string, StoredRow> => (existsSync(FILE) ? JSON.parse(readFileSync(FILE, 'utf8')) : {});
const revive = (row: StoredRow): SessionRow => ({ ...row, updated: new Date(row.updated) });

/** A table of sessions, the shape the guide's DatabaseStorage calls (upsert, findUnique, findMany). */
export class Database {
  readonly sessions = {
    async upsert(row: SessionRow): Promise<void> {
      const rows = read();
      rows[row.id] = { ...row, updated: row.updated.toISOString() };
      writeFileSync(FILE, JSON.stringify(rows, null, 2));
    },
    async findUnique(query: { where: { id: string } }): Promise<SessionRow | null> {
      const row = read()[query.where.id];
      return row === undefined ? null : revive(row);
    },
    async findMany(query: { orderBy: { updated: 'asc' | 'desc' } }): Promise<SessionRow[]> {
      const sign = query.orderBy.updated === 'desc' ? -1 : 1;
      return Object.values(read())
        .map(revive)
        .sort((a, b) => sign * (a.updated.getTime() - b.updated.getTime()));
    },
  };
}

export const myDb = new Database();
export const myDatabase = myDb;
`;

/**
 * A \`docker\` that records its argv (one JSON line per call) and, for \`docker run\`, runs the container's
 * command on this machine instead (Docker cannot run here): container paths of \`-v\` mounts are mapped
 * back to their host folders in the arguments, the \`-w\` folder and \`-e\` values.
 */
export const RECORDING_DOCKER = (node: string, log: string) => `#!${node}
const { appendFileSync } = require('node:fs');
const { spawnSync } = require('node:child_process');
const argv = process.argv.slice(2);
appendFileSync(${JSON.stringify(log)}, JSON.stringify({ argv, cwd: process.cwd() }) + '\\n');
if (argv[0] === 'version' || argv[0] === 'info') { console.log('{"Server":{"Version":"27.0.0"}}'); process.exit(0); }
if (argv[0] !== 'run') process.exit(0);
const withValue = new Set(['-v', '--volume', '-e', '--env', '-w', '--workdir', '--name', '-u', '--user', '--entrypoint', '--network', '--mount', '--env-file', '--platform', '--label', '-l', '--add-host', '--pull']);
const mounts = []; const env = {}; let workdir; let i = 1;
for (; i < argv.length; i++) {
  const a = argv[i];
  if (!a.startsWith('-')) break;
  const eq = a.indexOf('=');
  const flag = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
  if (!withValue.has(flag)) continue;
  const value = a.startsWith('--') && eq > 0 ? a.slice(eq + 1) : argv[++i];
  if (flag === '-v' || flag === '--volume') { const [host, inside] = value.split(':'); mounts.push({ host, inside }); }
  else if (flag === '-e' || flag === '--env') { const k = value.indexOf('='); if (k < 0) { if (process.env[value] !== undefined) env[value] = process.env[value]; } else env[value.slice(0, k)] = value.slice(k + 1); }
  else if (flag === '-w' || flag === '--workdir') workdir = value;
}
const command = argv.slice(i + 1);
mounts.sort((a, b) => b.inside.length - a.inside.length);
const toHost = (text) => { for (const m of mounts) { if (text === m.inside || text.startsWith(m.inside + '/')) return m.host + text.slice(m.inside.length); } return text; };
for (const k of Object.keys(env)) env[k] = toHost(env[k]);
const run = spawnSync(command[0], command.slice(1).map(toHost), { cwd: workdir === undefined ? process.cwd() : toHost(workdir), env: { ...process.env, ...env }, stdio: 'inherit' });
process.exit(run.status ?? 1);
`;
