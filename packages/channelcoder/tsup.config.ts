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
 * Node's built-in modules, reached through `process.getBuiltinModule` (Node >= 20.16) instead of an ESM
 * `import`: the same functions and values, called the same way, for less work at start.
 * - `node:crypto` and `node:zlib` load on their first use instead of when a module importing them is
 *   evaluated. Setting up either costs about 2 ms of a start of 60, and most commands never call them
 *   (`session list` reaches modules that import them for saves, leases and transcripts, not for listing).
 * - Every other built-in is taken as loaded, but without the ESM wrapper Node builds for an `import` of it,
 *   which reads each of its exports: for `node:fs` that reads `fs.ReadStream` and so loads Node's whole
 *   stream implementation (about 3 ms), which the CLI's own code never touches on `--help` or `session list`.
 * Each import gets a module of the same exports. A plain value is the module's own (`readFileSync`, a
 * class, `constants`: `instanceof` and identity hold), read when the importing chunk is evaluated and kept
 * only if used. A value behind a getter (`fs.ReadStream`, `fs.promises`), and every value of a lazy module,
 * is a function that calls or constructs the real one, or an object that reads through to it, on use.
 */
const LAZY_BUILTINS = new Set(['crypto', 'zlib']);
const builtins: Plugin = {
  name: 'builtins',
  setup(build) {
    build.onResolve({ filter: /^node:/ }, (args) => ({ path: args.path, namespace: 'builtin' }));
    build.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => {
      const id = JSON.stringify(args.path);
      const lazy = LAZY_BUILTINS.has(args.path.slice('node:'.length));
      const real = createRequire(import.meta.url)(args.path) as Record<string, unknown>;
      const lines = lazy
        ? [`const real = () => process.getBuiltinModule(${id});`]
        : [`const mod = process.getBuiltinModule(${id});`, 'const real = () => mod;'];
      for (const [name, descriptor] of Object.entries(Object.getOwnPropertyDescriptors(real))) {
        if (!/^[A-Za-z_$][\w$]*$/.test(name) || name === 'default' || descriptor.enumerable !== true)
          continue;
        if (!lazy && 'value' in descriptor) {
          lines.push(`export const ${name} = /* @__PURE__ */ (() => mod.${name})();`);
          continue;
        }
        const value = real[name];
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

/**
 * The dispatcher's imports of `session list` and of the turn commands, left to the files the separate
 * build below writes (dist/session-list.js and dist/turn.js, beside the executable's other files).
 */
const ownFileCommands: Plugin = {
  name: 'own-file-commands',
  setup(build) {
    build.onResolve({ filter: /\/commands\/(session-list|turn)\.js$/ }, (args) =>
      args.importer.endsWith(join('src', 'cli', 'main.ts'))
        ? { path: `./${args.path.slice('./commands/'.length)}`, external: true }
        : undefined,
    );
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
    esbuildPlugins: [workspaceSources, builtins, ownFileCommands],
    // Keeps `node:` imports for the builtins plugin to see (tsup would otherwise strip the prefix and mark them external).
    removeNodeProtocol: false,
  },
  {
    // The commands that start most often, each as one file with all it imports, tree-shaken to what that
    // command uses: `session list` loads one module of about 80 KB instead of a dozen shared chunks of
    // 140 KB that also hold other commands' code, and a turn (`run`, `stream`, `interactive`) one of about
    // 340 KB instead of 20 modules of 390 KB (the Agent SDK store and other commands' code are not in it):
    // a tenth of a turn's CPU time before `claude` starts. They import nothing on demand themselves (the dispatcher
    // passes in those loaders), so nothing of the rest of the executable is copied into them. Their copies
    // of the CLI's and the core's modules are recognised across copies: errors by `ChannelCoderError.is`
    // and `UsageError.is`, never by `instanceof`.
    entry: { 'session-list': 'src/cli/commands/session-list.ts', turn: 'src/cli/commands/turn.ts' },
    format: ['esm'],
    sourcemap: true,
    target: 'node20',
    splitting: false,
    noExternal: [/^@channelcoder\/(session-core|storage-file)(\/|$)/],
    esbuildPlugins: [workspaceSources, builtins],
    removeNodeProtocol: false,
  },
]);
