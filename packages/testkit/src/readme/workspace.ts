/** The monorepo as the README check sees it: its packages, what they depend on, and their scripts. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface WorkspacePackage {
  name: string;
  dir: string;
  scripts: Record<string, string>;
  /** Every dependency the package declares (regular, peer, optional, dev). */
  dependencies: string[];
}

export interface Workspace {
  root: string;
  packages: WorkspacePackage[];
  /** Root package.json scripts. */
  scripts: Record<string, string>;
}

interface PackageJson {
  name?: string;
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as PackageJson;

/** The workspace containing `path` (the nearest folder up with `pnpm-workspace.yaml`). */
export function findWorkspace(path: string): Workspace {
  let root = path;
  while (!existsSync(join(root, 'pnpm-workspace.yaml'))) {
    const up = dirname(root);
    if (up === root) throw new Error(`${path} is not inside a pnpm workspace`);
    root = up;
  }
  const dirs = [
    ...readdirSync(join(root, 'packages')).map((d) => join(root, 'packages', d)),
    join(root, 'examples'),
  ].filter((d) => existsSync(join(d, 'package.json')));
  const packages = dirs.map((dir) => {
    const pkg = readJson(join(dir, 'package.json'));
    return {
      name: pkg.name ?? dir,
      dir,
      scripts: pkg.scripts ?? {},
      dependencies: [
        pkg.dependencies,
        pkg.devDependencies,
        pkg.peerDependencies,
        pkg.optionalDependencies,
      ].flatMap((d) => Object.keys(d ?? {})),
    };
  });
  return { root, packages, scripts: readJson(join(root, 'package.json')).scripts ?? {} };
}

/** The package whose folder holds `path` (the root counts as no package). */
export function packageOf(workspace: Workspace, path: string): WorkspacePackage | undefined {
  return workspace.packages
    .filter((p) => path === p.dir || path.startsWith(`${p.dir}/`))
    .sort((a, b) => b.dir.length - a.dir.length)[0];
}

/** The folder of an installed package `name`, looked up from `fromDir` upwards like Node does. */
export function installedPackageDir(name: string, fromDir: string): string | undefined {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}
