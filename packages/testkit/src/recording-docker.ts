/**
 * A recording `docker` for machines without Docker (this project's CI has none). Put its folder first on
 * PATH: every call is recorded (argv, and for `docker run` the environment the container would get); `run`
 * then starts the REAL `claude` binary the way a container would see things: the `--workdir` and every
 * `--env` applied, each `--volume HOST:CONTAINER` and `--tmpfs` laid out in a private folder standing in
 * for the container's filesystem (a volume is a symbolic link to its HOST folder), container paths in
 * HOME and CLAUDE_CONFIG_DIR mapped into it. One translation a real container does not need: the CLI
 * runs in the HOST directory mounted at the workdir (it files transcripts by its real cwd), so the
 * transcript folder mounted for the workdir is linked under that directory's folder name as well.
 * `image inspect` answers "present" (except for `missingImages` until they are built); `build` succeeds
 * without building anything.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** One recorded call of the recording docker. */
export interface RecordedDockerCall {
  argv: string[];
  /** For `run`: the variables the container got (container-side values, before any path mapping). */
  containerEnv?: Record<string, string>;
  /** For `run`: the host directory the CLI ran in (the volume of `--workdir`). */
  hostCwd?: string;
  /** For `build` from stdin: the Dockerfile it was given. */
  stdin?: string;
}

export interface RecordingDocker {
  /** The folder holding `docker`: put it first on PATH. */
  binDir: string;
  /** Every call so far, oldest first. */
  calls(): RecordedDockerCall[];
  /** The `docker run` calls only. */
  runs(): RecordedDockerCall[];
}

export interface RecordingDockerOptions {
  /** Images `docker image inspect` reports missing until a `docker build --tag` makes them. */
  missingImages?: readonly string[];
}

/** Writes a recording `docker` into `<dir>/bin` that runs `claudeBinary` for `docker run`. */
export function makeRecordingDocker(
  dir: string,
  claudeBinary: string,
  options: RecordingDockerOptions = {},
): RecordingDocker {
  const binDir = join(dir, 'bin');
  const roots = join(dir, 'containers');
  mkdirSync(binDir, { recursive: true });
  mkdirSync(roots, { recursive: true });
  const log = join(dir, 'docker-calls.jsonl');
  const script = `#!${process.execPath}
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const LOG = ${JSON.stringify(log)};
const CLAUDE = ${JSON.stringify(claudeBinary)};
const ROOTS = ${JSON.stringify(roots)};
const MISSING = ${JSON.stringify(options.missingImages ?? [])};
const BUILT = ${JSON.stringify(join(dir, 'built-images.json'))};
const built = () => (fs.existsSync(BUILT) ? JSON.parse(fs.readFileSync(BUILT, 'utf8')) : []);
const argv = process.argv.slice(2);
const record = (entry) => fs.appendFileSync(LOG, JSON.stringify({ argv, ...entry }) + '\\n');
if (argv[0] !== 'run') {
  if (argv[0] === 'build') {
    const tag = argv[argv.indexOf('--tag') + 1];
    fs.writeFileSync(BUILT, JSON.stringify([...built(), tag]));
  }
  if (argv[0] === 'image' && MISSING.includes(argv.at(-1)) && !built().includes(argv.at(-1))) {
    record({});
    process.stderr.write('Error: No such image: ' + argv.at(-1) + '\\n');
    process.exit(1);
  } else if (argv[0] === 'build' && argv.at(-1) === '-') {
    let stdin = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (d) => { stdin += d; });
    process.stdin.on('end', () => { record({ stdin }); process.exit(0); });
  } else {
    record({});
    if (argv[0] === 'image') process.stdout.write('sha256:recorded\\n');
    process.exit(0);
  }
} else {
  const withValue = new Set(['--volume', '-v', '--env', '-e', '--workdir', '-w', '--user', '-u', '--tmpfs', '--name', '--network']);
  const volumes = [], envs = [], tmpfs = [];
  let workdir = '/', i = 1;
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('-')) break;
    if (!withValue.has(a)) continue;
    const v = argv[++i];
    if (a === '--volume' || a === '-v') volumes.push(v.split(':'));
    else if (a === '--env' || a === '-e') envs.push(v);
    else if (a === '--workdir' || a === '-w') workdir = v;
    else if (a === '--tmpfs') tmpfs.push(v.split(':')[0]);
  }
  const command = argv.slice(i + 1);
  const root = fs.mkdtempSync(path.join(ROOTS, 'run-'));
  const inRoot = (p) => path.join(root, p);
  for (const t of tmpfs) fs.mkdirSync(inRoot(t), { recursive: true });
  for (const [host, target] of volumes) {
    fs.mkdirSync(path.dirname(inRoot(target)), { recursive: true });
    fs.symlinkSync(host, inRoot(target));
  }
  const toHost = (p) => {
    let best;
    for (const [host, target] of volumes) {
      if ((p === target || p.startsWith(target + '/')) && (!best || target.length > best[1].length)) best = [host, target];
    }
    return best ? best[0] + p.slice(best[1].length) : inRoot(p);
  };
  const containerEnv = {};
  for (const e of envs) {
    const eq = e.indexOf('=');
    if (eq >= 0) containerEnv[e.slice(0, eq)] = e.slice(eq + 1);
    else if (process.env[e] !== undefined) containerEnv[e] = process.env[e];
  }
  const hostCwd = fs.realpathSync(toHost(workdir));
  const env = { ...containerEnv, PATH: process.env.PATH };
  for (const name of ['HOME', 'CLAUDE_CONFIG_DIR']) if (env[name] && env[name].startsWith('/')) env[name] = toHost(env[name]);
  const folder = (p) => p.replace(/[^A-Za-z0-9]/g, '-');
  const configDir = containerEnv.CLAUDE_CONFIG_DIR;
  if (configDir) {
    const mounted = inRoot(configDir + '/projects/' + folder(workdir));
    if (fs.existsSync(mounted)) fs.symlinkSync(fs.realpathSync(mounted), inRoot(configDir + '/projects/' + folder(hostCwd)));
  }
  record({ containerEnv, hostCwd });
  const child = spawn(command[0] === 'claude' ? CLAUDE : command[0], command.slice(1), { cwd: hostCwd, env, stdio: 'inherit' });
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(s, () => child.kill(s));
  child.on('close', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
}
`;
  const path = join(binDir, 'docker');
  writeFileSync(path, script, { mode: 0o755 });
  chmodSync(path, 0o755);
  const calls = (): RecordedDockerCall[] =>
    existsSync(log)
      ? readFileSync(log, 'utf8')
          .split('\n')
          .filter((l) => l !== '')
          .map((l) => JSON.parse(l) as RecordedDockerCall)
      : [];
  return { binDir, calls, runs: () => calls().filter((c) => c.argv[0] === 'run') };
}
