import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/bin.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  // migrationsDirectory() locates the shipped SQL with import.meta.url, in the CJS build too.
  shims: true,
});
