import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'node20',
  },
  {
    // The executable is ESM only (package "type": "module", bin → dist/cli.js). It carries its own copy of
    // the session core and the file storage (the versions it was built and tested with), split per command
    // like the CLI's own modules: resolving two packages' entries through node_modules and loading them as
    // separate modules was most of a short command's start (`session list` 1.6× `node -e 0`, 1.3× bundled).
    // The optional adapters, their clients, the server and `yaml` stay external: they are loaded only by the
    // commands that use them, and adapters bring their own session core (errors are recognised across
    // copies by `ChannelCoderError.is`, never by `instanceof`).
    entry: ['src/cli.ts'],
    format: ['esm'],
    sourcemap: true,
    target: 'node20',
    noExternal: [/^@channelcoder\/(session-core|storage-file)(\/|$)/],
  },
]);
