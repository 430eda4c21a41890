import { createRequire } from 'node:module';
import { join } from 'node:path';
import { defineConfig, type Options } from 'tsup';

type Plugin = NonNullable<Options['esbuildPlugins']>[number];

/**
 * The session core and the file storage, bundled into the executable from their sources rather than their
 * built entries: each source file stays a module of its own, so code splitting and tree shaking work per
 * file (a built entry is one module, and its top-level statements, the transcript codec's dictionary and
 * its node:zlib import among them, would come along with any function a command uses).
 */
const WORKSPACE_SOURCES = /^@channelcoder\/(session-core|storage-file)(?:\/(model|storage-kit|list))?$/;
const workspaceSources: Plugin = {
  name: 'workspace-sources',
  setup(build) {
    build.onResolve({ filter: WORKSPACE_SOURCES }, (args) => {
      const [, pkg, entry] = WORKSPACE_SOURCES.exec(args.path) ?? [];
      if (pkg === undefined) return undefined;
      return { path: join(import.meta.dirname, '..', pkg, 'src', `${entry ?? 'index'}.ts`) };
    });
  },
};

/**
 * `node:crypto` and `node:zlib`, loaded on their first use instead of when a module importing them is
 * evaluated. Setting up either costs about 2 ms of a start of 60, and most commands never call them
 * (`session list` reaches modules that import them for saves, leases and transcripts, not for listing).
 * Each import of them in the executable gets a module of the same exports whose functions load the real
 * module (`process.getBuiltinModule`, Node >= 20.16) when called, and whose objects (`zlib.constants`)
 * read through to it: the same functions and values, called the same way.
 */
const LAZY_BUILTINS = /^(?:node:)?(crypto|zlib)$/;
const lazyBuiltins: Plugin = {
  name: 'lazy-builtins',
  setup(build) {
    build.onResolve({ filter: LAZY_BUILTINS }, (args) => ({
      path: `node:${LAZY_BUILTINS.exec(args.path)?.[1]}`,
      namespace: 'lazy-builtin',
    }));
    build.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => {
      const real = createRequire(import.meta.url)(args.path) as Record<string, unknown>;
      const lines = [`const real = () => process.getBuiltinModule(${JSON.stringify(args.path)});`];
      for (const [name, value] of Object.entries(real)) {
        if (!/^[A-Za-z_$][\w$]*$/.test(name) || name === 'default') continue;
        if (typeof value === 'function') {
          lines.push(
            `export function ${name}(...args) { return new.target === undefined ? real().${name}.apply(this, args) : Reflect.construct(real().${name}, args, new.target); }`,
          );
        } else if (typeof value === 'object' && value !== null) {
          lines.push(
            `export const ${name} = new Proxy({}, { get: (_, key) => real().${name}[key], has: (_, key) => key in real().${name}, ownKeys: () => Reflect.ownKeys(real().${name}), getOwnPropertyDescriptor: (_, key) => ({ ...Reflect.getOwnPropertyDescriptor(real().${name}, key), configurable: true }) });`,
          );
        }
      }
      return { contents: lines.join('\n'), loader: 'js' };
    });
  },
};

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
    esbuildPlugins: [workspaceSources, lazyBuiltins],
    // Keeps `node:` imports for lazyBuiltins to see (tsup would otherwise strip the prefix and mark them external).
    removeNodeProtocol: false,
  },
]);
