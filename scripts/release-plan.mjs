// The release dry run CI runs: `changeset status` on the repository, then `changeset version` on a
// throwaway copy of it, and checks that what would be published is what the changesets ask for.
//   1. The planned versions table (package, current, bump, next) from `changeset status`.
//   2. `changeset version` on the copy writes exactly those versions, and no package goes to a new major
//      unless a changeset of its own asks for one (a core minor must not force majors on adapters).
//   3. Scenario: on a second copy with one changeset, "@channelcoder/session-core": minor, only
//      session-core and the packages that take it as a regular dependency move, and none by a major.
// Exits non-zero on any mismatch. See CONTRIBUTING.md "Versions".
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { publicPackages, root } from './packages.mjs';

const changesetBin = join(root, 'node_modules/@changesets/cli/bin.js');
const problems = [];

/** A copy of the tracked and new (not ignored) files of the repository, as a fresh git repository. */
function throwawayCopy() {
  const dir = mkdtempSync(join(tmpdir(), 'channelcoder-release-plan-'));
  const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], {
    cwd: root,
    encoding: 'utf8',
  })
    .split('\0')
    .filter(Boolean);
  for (const file of files) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    try {
      cpSync(join(root, file), join(dir, file));
    } catch (err) {
      if (err.code !== 'ENOENT') throw err; // a tracked file deleted in the working tree
    }
  }
  const git = (...args) => execFileSync('git', args, { cwd: dir, stdio: 'ignore' });
  git('init', '-q', '-b', 'main');
  git('-c', 'user.name=release-plan', '-c', 'user.email=release-plan@localhost', 'add', '-A');
  git('-c', 'user.name=release-plan', '-c', 'user.email=release-plan@localhost', 'commit', '-qm', 'copy');
  return dir;
}

const changeset = (cwd, ...args) =>
  execFileSync(process.execPath, [changesetBin, ...args], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });

const manifests = (dir) =>
  Object.fromEntries(
    publicPackages().map((p) => {
      const file = join(dir, p.manifestPath.slice(root.length));
      return [p.manifest.name, JSON.parse(readFileSync(file, 'utf8'))];
    }),
  );

const major = (v) => {
  const [maj, min] = v.split('.').map(Number);
  return maj === 0 ? `0.${min}` : String(maj); // in 0.x a minor is the breaking position
};

/** Runs `changeset version` on `dir` and compares the written versions with `plan`. */
function versionAndCompare(dir, plan, label) {
  const before = manifests(dir);
  changeset(dir, 'version');
  const after = manifests(dir);
  for (const [name, manifest] of Object.entries(after)) {
    const planned = plan.find((r) => r.name === name);
    const expected = planned ? planned.newVersion : before[name].version;
    if (manifest.version !== expected) {
      problems.push(`${label}: ${name} became ${manifest.version}, the plan says ${expected}`);
    }
  }
  return { before, after };
}

function printTable(rows) {
  const header = ['package', 'current', 'bump', 'next'];
  const body = rows.map((r) => [r.name, r.oldVersion, r.type, r.newVersion]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log(line(header));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const b of body) console.log(line(b));
}

function plannedReleases(dir) {
  const out = join(dir, '.release-plan.json');
  changeset(dir, 'status', `--output=${out.slice(dir.length + 1)}`);
  const status = JSON.parse(readFileSync(out, 'utf8'));
  rmSync(out);
  return status;
}

// 1 + 2: the pending changesets.
console.log('==> changeset status');
changeset(root, 'status');
const copy = throwawayCopy();
try {
  const status = plannedReleases(copy);
  const releases = status.releases.filter((r) => r.type !== 'none');
  console.log('planned versions:');
  printTable(releases);
  const asked = new Map();
  for (const c of status.changesets) {
    for (const r of c.releases) if (r.type === 'major') asked.set(r.name, true);
  }
  for (const r of releases) {
    if (major(r.oldVersion) !== major(r.newVersion) && r.type === 'major' && !asked.get(r.name)) {
      problems.push(
        `${r.name} would go ${r.oldVersion} → ${r.newVersion} (major) without a major changeset of its own`,
      );
    }
  }
  const { after } = versionAndCompare(copy, releases, 'changeset version');
  console.log('peer ranges on session-core after `changeset version`:');
  for (const [name, m] of Object.entries(after)) {
    const range = m.peerDependencies?.['@channelcoder/session-core'];
    if (range) console.log(`  ${name}: ${range}`);
  }
} finally {
  rmSync(copy, { recursive: true, force: true });
}

// 3: a lone core minor.
const scenario = throwawayCopy();
try {
  const dir = join(scenario, '.changeset');
  for (const f of readdirSync(dir)) if (f.endsWith('.md') && f !== 'README.md') rmSync(join(dir, f));
  writeFileSync(
    join(dir, 'core-minor.md'),
    '---\n"@channelcoder/session-core": minor\n---\n\nA minor of core.\n',
  );
  const { releases } = plannedReleases(scenario);
  const moved = releases.filter((r) => r.type !== 'none');
  console.log('a lone "@channelcoder/session-core": minor would release:');
  printTable(moved);
  for (const r of moved) {
    if (r.type === 'major') problems.push(`a core minor forces a major on ${r.name}`);
    if (r.name !== '@channelcoder/session-core' && r.type !== 'patch') {
      problems.push(`a core minor gives ${r.name} a ${r.type}, expected at most a patch`);
    }
  }
  versionAndCompare(scenario, moved, 'core-minor scenario');
} finally {
  rmSync(scenario, { recursive: true, force: true });
}

if (problems.length > 0) {
  for (const p of problems) console.error(`!! ${p}`);
  process.exit(1);
}
console.log('release plan ok');
