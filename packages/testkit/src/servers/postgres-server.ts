/**
 * A private PostgreSQL 15 server for tests: initdb + postgres on a temp data dir, 127.0.0.1 and a free
 * port, run as the `postgres` user when the tests run as root (initdb refuses root). Stopped by the PID
 * it started, never by name.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port.js';

const run = promisify(execFile);
const BIN = process.env.CHANNELCODER_PG_BIN ?? '/usr/lib/postgresql/15/bin';

export interface PostgresServer {
  /** `postgresql://postgres@127.0.0.1:<port>/postgres` */
  readonly url: string;
  readonly port: number;
  /**
   * Stops the postmaster by its PID: `fast` (SIGINT, clean shutdown) or `immediate` (SIGQUIT: no checkpoint,
   * like a crash; the next start recovers from the WAL). The data dir stays, so `start()` brings it back.
   */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** The postmaster's PID while it runs. */
  readonly pid: number | undefined;
  start(): Promise<void>;
  /** Stops the server and deletes its data dir. */
  destroy(): Promise<void>;
}

function asPostgresUser(command: string, args: string[]): [string, string[]] {
  const root = process.getuid?.() === 0;
  return root ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
}

async function postgresUid(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const { stdout } = await run('id', ['-u', 'postgres']);
  const { stdout: gid } = await run('id', ['-g', 'postgres']);
  return { uid: Number(stdout.trim()), gid: Number(gid.trim()) };
}

export interface PostgresServerOptions {
  /**
   * Keep PostgreSQL's durability settings (fsync, synchronous_commit): for tests that crash the server and
   * check that every resolved write survived. Off by default for speed.
   */
  durable?: boolean;
}

export async function startPostgresServer(options: PostgresServerOptions = {}): Promise<PostgresServer> {
  if (!existsSync(join(BIN, 'initdb'))) {
    throw new Error(
      `PostgreSQL 15 binaries were not found in ${BIN}: install them with \`apt-get install -y postgresql\` ` +
        '(or set CHANNELCODER_TEST_DATABASE_URL to a server the tests may create schemas on).',
    );
  }
  const dir = await mkdtemp(join(tmpdir(), 'cc-prisma-pg-'));
  await chmod(dir, 0o755);
  const owner = await postgresUid();
  if (owner !== undefined) await chown(dir, owner.uid, owner.gid);
  const data = join(dir, 'data');
  const [initCmd, initArgs] = asPostgresUser(join(BIN, 'initdb'), [
    '-D',
    data,
    '--auth=trust',
    '-U',
    'postgres',
    '-E',
    'UTF8',
    '--no-sync',
    '--no-instructions',
  ]);
  await run(initCmd, initArgs);
  const port = await freePort();
  let pid: number | undefined;

  const start = async (): Promise<void> => {
    const [cmd, args] = asPostgresUser(join(BIN, 'pg_ctl'), [
      '-D',
      data,
      '-l',
      join(dir, 'server.log'),
      '-w',
      '-t',
      '60',
      '-o',
      `-c listen_addresses=127.0.0.1 -p ${port} -c unix_socket_directories=${dir} -c max_connections=300` +
        (options.durable ? '' : ' -c fsync=off -c synchronous_commit=off -c full_page_writes=off'),
      'start',
    ]);
    await run(cmd, args);
    pid = Number((await readFile(join(data, 'postmaster.pid'), 'utf8')).split('\n')[0]);
  };

  const stop = async (mode: 'fast' | 'immediate' = 'fast'): Promise<void> => {
    if (pid === undefined) return;
    const target = pid;
    pid = undefined;
    try {
      process.kill(target, mode === 'fast' ? 'SIGINT' : 'SIGQUIT');
    } catch {
      return; // already gone
    }
    for (let i = 0; i < 600; i++) {
      try {
        process.kill(target, 0);
      } catch {
        return;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`PostgreSQL (pid ${target}) did not stop within 30 s`);
  };

  await start();
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    port,
    get pid() {
      return pid;
    },
    start,
    stop,
    destroy: async () => {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
