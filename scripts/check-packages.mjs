// Packs every public package and checks the tarball with publint and attw (are-the-types-wrong), the way
// a user would receive it from the registry. Exits non-zero on any problem.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { pack, publicPackages, root } from './packages.mjs';

const outDir = join(root, '.tmp', 'packs');
rmSync(outDir, { recursive: true, force: true });
let failed = 0;
for (const pkg of publicPackages()) {
  const tarball = pack(pkg, outDir);
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
