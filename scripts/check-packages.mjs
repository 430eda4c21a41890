// Packs every public package and checks the tarball with publint and attw (are-the-types-wrong), the way
// a user would receive it from the registry, plus what the registry page and `npm install` show: a LICENSE
// in the tarball, keywords/homepage/bugs/repository, caret ranges for runtime dependencies, an engines
// range. Exits non-zero on any problem.
import { execFileSync, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { pack, publicPackages, root } from './packages.mjs';

const outDir = join(root, '.tmp', 'packs');
rmSync(outDir, { recursive: true, force: true });
let failed = 0;
for (const pkg of publicPackages()) {
  const tarball = pack(pkg, outDir);
  const problems = manifestProblems(pkg.manifest);
  const listing = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).split('\n');
  if (!listing.includes('package/LICENSE')) problems.push('no LICENSE in the tarball');
  failed += problems.length;
  console.log(`${problems.length === 0 ? 'ok  ' : 'FAIL'} manifest ${pkg.manifest.name}`);
  for (const p of problems) console.log(`     ${p}`);
  for (const [tool, args] of [
    ['publint', ['exec', 'publint', '--strict', tarball]],
    ['attw', ['exec', 'attw', '--format', 'table-flipped', '--profile', 'node16', tarball]],
  ]) {
    const run = spawnSync('pnpm', args, { cwd: root, encoding: 'utf8' });
    const ok = run.status === 0;
    if (!ok) failed++;
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${tool} ${pkg.manifest.name}`);
    if (!ok) console.log(run.stdout, run.stderr);
  }
}
process.exit(failed === 0 ? 0 : 1);

/** What a published manifest must carry. */
function manifestProblems(m) {
  const problems = [];
  if (m.license !== 'MIT') problems.push(`license is ${m.license}, expected MIT`);
  if (!Array.isArray(m.keywords) || m.keywords.length === 0) problems.push('no keywords');
  for (const field of ['homepage', 'bugs', 'repository', 'description']) {
    if (!m[field]) problems.push(`no ${field}`);
  }
  if (!m.engines?.node) problems.push('no engines.node');
  for (const [dep, range] of Object.entries(m.dependencies ?? {})) {
    if (!/^(workspace:)?\^/.test(range)) problems.push(`dependency ${dep}@${range}: use a caret range`);
  }
  return problems;
}
