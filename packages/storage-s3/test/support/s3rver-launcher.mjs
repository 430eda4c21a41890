// Starts s3rver-process.mjs as a child process on 127.0.0.1 and stops it by PID. Used by the vitest global
// setup, by fault tests that need a private server, and by the benchmark.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./s3rver-process.mjs', import.meta.url));
export const TEST_BUCKET = 'channelcoder-test';

/**
 * @param {{ enforceConditionalWrites?: boolean, port?: number, dir?: string, bucket?: string }} [options]
 */
export async function startS3rver(options = {}) {
  const bucket = options.bucket ?? TEST_BUCKET;
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'cc-s3rver-')));
  const args = [SCRIPT, '--dir', dir, '--bucket', bucket, '--port', String(options.port ?? 0)];
  if (options.enforceConditionalWrites) args.push('--enforce-conditional-writes');
  const legacy = '--openssl-legacy-provider';
  const nodeOptions = [process.env.NODE_OPTIONS ?? '', legacy].join(' ').trim();
  const child = spawn(process.execPath, args, {
    env: { ...process.env, NODE_OPTIONS: nodeOptions },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const port = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`s3rver did not start within 20 s: ${stderr}`)), 20_000);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /READY (\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`s3rver exited before it was ready (code ${code}, signal ${signal}): ${stderr}`));
    });
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    bucket,
    dir,
    pid: child.pid,
    /** Stops the process (by its PID) and, unless `keepData`, removes its data directory. */
    async stop({ keepData = false } = {}) {
      if (child.exitCode === null && child.signalCode === null) {
        process.kill(child.pid, 'SIGTERM');
        const timer = setTimeout(() => {
          if (child.exitCode === null) process.kill(child.pid, 'SIGKILL');
        }, 5_000);
        await exited;
        clearTimeout(timer);
      }
      if (!keepData) await rm(dir, { recursive: true, force: true });
    },
  };
}
