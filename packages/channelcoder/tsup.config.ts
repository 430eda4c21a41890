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
 * The dispatcher's imports of `session list` and of the turn commands, left to the CommonJS files the
 * last build below writes (dist/session-list.cjs and dist/turn.cjs, beside the executable's other files).
 */
const ownFileCommands: Plugin = {
  name: 'own-file-commands',
  setup(build) {
    build.onResolve({ filter: /\/commands\/(session-list|turn)\.js$/ }, (args) =>
      args.importer.endsWith(join('src', 'cli', 'main.ts'))
        ? { path: `./${args.path.slice('./commands/'.length, -'.js'.length)}.cjs`, external: true }
        : undefined,
    );
  },
};

/** The executable's own files, loaded at run time from beside it: the other CommonJS files and the ES module build. */
const besideExecutable: Plugin = {
  name: 'beside-executable',
  setup(build) {
    build.onResolve({ filter: /^\.\/([\w-]+\.cjs|cli-main\.js)$/ }, (args) =>
      args.importer.endsWith(join('src', 'bin.ts')) ? { path: args.path, external: true } : undefined,
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
    // The commands' ES modules: dist/cli-main.js (the dispatcher and the error report, which the executable
    // dist/cli.cjs loads for every command but the quick ones) and dist/cli.js (the same CLI as an ES module
    // executable, for `node dist/cli.js`). They carry their own copy of the session core and the file
    // storage (the versions they were built and tested with), split per command like the CLI's own
    // modules: resolving two packages' entries through node_modules and loading them as separate modules
    // was most of a short command's start (`session list` 1.6× `node -e 0`, 1.3× bundled). The optional
    // adapters, their clients, the server and `yaml` stay external: they are loaded only by the commands
    // that use them, and adapters bring their own session core (errors are recognised across copies by
    // `ChannelCoderError.is`, never by `instanceof`).
    entry: { cli: 'src/cli.ts', 'cli-main': 'src/cli-main.ts' },
    format: ['esm'],
    sourcemap: true,
    target: 'node20',
    noExternal: [/^@channelcoder\/(session-core|storage-file)(\/|$)/],
    esbuildPlugins: [workspaceSources, builtins, ownFileCommands],
    // Keeps `node:` imports for the builtins plugin to see (tsup would otherwise strip the prefix and mark them external).
    removeNodeProtocol: false,
  },
  {
    // The executable (package "bin" → dist/cli.cjs) and the commands that start most often, as CommonJS
    // files: Node loads them with `require`, without setting up its ES module loader, which reads every
    // module through `node:fs/promises` (loading that is about a fifth of `session list`'s start). Each is
    // one file with all it imports, tree-shaken to what it uses: `session list` loads one module of about
    // 80 KB instead of a dozen shared chunks of 140 KB that also hold other commands' code, and a turn
    // (`run`, `stream`, `interactive`) one of about 340 KB instead of 20 modules of 390 KB (the Agent SDK
    // store and other commands' code are not in it). The modules they load on demand (the help texts, the
    // trash, the storage opener, the templates) are files of this build too, loaded by the executable,
    // which passes them in. Their copies of the CLI's and the core's modules are recognised across copies:
    // errors by `ChannelCoderError.is` and `UsageError.is`, never by `instanceof`.
    entry: {
      cli: 'src/bin.ts',
      'session-list': 'src/cli/commands/session-list.ts',
      turn: 'src/cli/commands/turn.ts',
      help: 'src/cli/help.ts',
      'session-trash': 'src/cli/commands/session-trash.ts',
      storage: 'src/cli/storage.ts',
      render: 'src/templates/render.ts',
      frontmatter: 'src/templates/frontmatter.ts',
    },
    format: ['cjs'],
    sourcemap: true,
    target: 'node20',
    splitting: false,
    noExternal: [/^@channelcoder\/(session-core|storage-file)(\/|$)/],
    esbuildPlugins: [besideExecutable, workspaceSources, builtins],
    removeNodeProtocol: false,
  },
]);
