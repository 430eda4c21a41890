/**
 * Loading the optional driver packages (`@prisma/adapter-pg`, `@prisma/adapter-libsql`) and the Prisma
 * runtime on demand, with a typed error naming what to install when one is missing.
 */
import { InvalidArgumentError } from '@channelcoder/session-core';

/** A package that a database URL needs is not installed; `packages` says what to install. */
export class PrismaDriverNotInstalledError extends InvalidArgumentError {
  /** The packages to install, e.g. `['@prisma/adapter-pg']`. */
  readonly packages: string[];
  constructor(feature: string, packages: string[], cause: unknown) {
    super(
      `${feature} needs ${packages.join(' and ')}, which ${packages.length === 1 ? 'is' : 'are'} not ` +
        `installed. Install ${packages.length === 1 ? 'it' : 'them'}: npm install ${packages.join(' ')}`,
    );
    this.packages = packages;
    this.cause = cause;
  }
  static override is(err: unknown): err is PrismaDriverNotInstalledError {
    return InvalidArgumentError.is(err) && Array.isArray((err as { packages?: unknown }).packages);
  }
}

/** True for Node's "module not found" errors (ESM and CJS). */
export function isModuleNotFound(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
}

/**
 * Runs `load` (a dynamic import) and turns "module not found" into PrismaDriverNotInstalledError naming
 * `packages`; other failures pass unchanged.
 */
export async function loadOrExplain<T>(
  feature: string,
  packages: string[],
  load: () => Promise<T>,
): Promise<T> {
  try {
    return await load();
  } catch (err) {
    if (isModuleNotFound(err)) throw new PrismaDriverNotInstalledError(feature, packages, err);
    throw err;
  }
}

/** Imports an installed driver package by name (kept out of the bundle). */
export function importDriver<T>(feature: string, name: string, alsoInstall: string[] = []): Promise<T> {
  return loadOrExplain(feature, [name, ...alsoInstall], async () => (await import(name)) as T);
}
