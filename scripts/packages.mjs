// The public packages of the workspace and how to pack them (shared by the package checks and the
// consumer install test).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const root = new URL('..', import.meta.url).pathname;

/** Every non-private package under packages/, with its folder and manifest. */
export function publicPackages() {
  return readdirSync(join(root, 'packages'))
    .map((dir) => ({
      dir: join(root, 'packages', dir),
      manifestPath: join(root, 'packages', dir, 'package.json'),
    }))
    .filter((p) => existsSync(p.manifestPath))
    .map((p) => ({ ...p, manifest: JSON.parse(readFileSync(p.manifestPath, 'utf8')) }))
    .filter((p) => !p.manifest.private);
}

/** Packs a package with pnpm (workspace: ranges become real versions) and returns the tarball path. */
export function pack(pkg, outDir) {
  mkdirSync(outDir, { recursive: true });
  const out = execFileSync('pnpm', ['pack', '--pack-destination', outDir], {
    cwd: pkg.dir,
    encoding: 'utf8',
  });
  const tarball = out
    .trim()
    .split('\n')
    .filter((l) => l.endsWith('.tgz'))
    .at(-1);
  if (!tarball) throw new Error(`pnpm pack printed no tarball for ${pkg.manifest.name}:\n${out}`);
  return tarball.startsWith('/') ? tarball : join(outDir, tarball);
}
