/**
 * The Bun binary from the workspace's `bun` dev dependency. pnpm does not run its postinstall (which copies
 * the binary over the placeholder `bin/bun.exe`), so the platform package's binary is used directly.
 */
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export function bunBinary(): string {
  let wrapper: string;
  try {
    wrapper = createRequire(import.meta.url).resolve('bun/package.json');
  } catch {
    throw new Error(
      'Bun is not installed: it is a dev dependency of the workspace root (bun); run `pnpm install`.',
    );
  }
  const placeholder = join(dirname(wrapper), 'bin', 'bun.exe');
  if (existsSync(placeholder) && statSync(placeholder).size > 1_000_000) return placeholder;
  const platform = `@oven/bun-${process.platform}-${process.arch}`;
  for (const name of [platform, `${platform}-baseline`, `${platform}-musl`]) {
    try {
      const binary = join(dirname(createRequire(wrapper).resolve(`${name}/package.json`)), 'bin', 'bun');
      if (existsSync(binary)) return binary;
    } catch {
      // try the next variant
    }
  }
  throw new Error(
    `Bun's binary is missing: neither ${placeholder} nor the ${platform} package is installed.`,
  );
}
