import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * Path of the real `claude` binary installed as this package's dev dependency
 * (`@anthropic-ai/claude-code`). When the wrapper's postinstall did not run (pnpm without allowed build
 * scripts), `bin/claude.exe` is a small placeholder; then the platform package's binary is used.
 * Throws when neither is there, saying how to install it.
 */
export function claudeBinary(): string {
  const require = createRequire(join(process.cwd(), 'noop.js'));
  const fromHere = createRequire(import.meta.url);
  let wrapperDir: string | undefined;
  for (const resolver of [fromHere, require]) {
    try {
      wrapperDir = dirname(resolver.resolve('@anthropic-ai/claude-code/package.json'));
      break;
    } catch {
      // try the next resolver
    }
  }
  if (wrapperDir === undefined) {
    throw new Error(
      '@anthropic-ai/claude-code is not installed. Run `pnpm install` in the workspace (it is a dev ' +
        'dependency of @channelcoder/testkit).',
    );
  }
  const wrapperBin = join(wrapperDir, 'bin', 'claude.exe');
  if (existsSync(wrapperBin) && statSync(wrapperBin).size > 1_000_000) return wrapperBin;

  const platformPackage = `@anthropic-ai/claude-code-${process.platform}-${process.arch}`;
  try {
    const platformDir = dirname(createRequire(wrapperBin).resolve(`${platformPackage}/package.json`));
    for (const name of ['claude', 'claude.exe']) {
      const candidate = join(platformDir, name);
      if (existsSync(candidate)) return candidate;
    }
  } catch {
    // reported below
  }
  throw new Error(
    `The claude binary is missing: ${wrapperBin} is a placeholder and ${platformPackage} is not installed. ` +
      "Allow the package's build script (allowBuilds in pnpm-workspace.yaml) and reinstall.",
  );
}

export interface OfflineClaudeEnvOptions {
  /** The mock's base URL (`MockAnthropicServer.url`). */
  baseUrl: string;
  /** Temporary `CLAUDE_CONFIG_DIR` (transcripts land under `projects/`). */
  configDir: string;
  /** Temporary `HOME` (the CLI writes under it even with a config dir set). */
  home: string;
  /** Retries of failed API calls; 0 (default) makes an API error fail in well under a second. */
  maxRetries?: number;
  /** Starting environment; defaults to `process.env`. */
  base?: NodeJS.ProcessEnv;
}

/** Variables that would send the CLI to a real account or another provider. */
const REMOVED = [
  'ANTHROPIC_AUTH_TOKEN',
  'CLAUDE_CODE_OAUTH_TOKEN',
  'CLAUDE_CODE_USE_BEDROCK',
  'CLAUDE_CODE_USE_VERTEX',
  'CLAUDE_CODE_USE_FOUNDRY',
  'ANTHROPIC_BEDROCK_BASE_URL',
  'ANTHROPIC_VERTEX_BASE_URL',
  'ANTHROPIC_VERTEX_PROJECT_ID',
  'ANTHROPIC_MODEL',
  'ANTHROPIC_SMALL_FAST_MODEL',
  'CLAUDECODE',
  'CLAUDE_CODE_ENTRYPOINT',
];

/** The environment that runs the real CLI offline against a mock (see CLAUDE-CLI.md). */
export function offlineClaudeEnv(options: OfflineClaudeEnvOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...(options.base ?? process.env) };
  for (const name of REMOVED) delete env[name];
  const overlay = offlineClaudeEnvOverlay(options);
  for (const [key, value] of Object.entries(overlay)) if (value !== undefined) env[key] = value;
  return env;
}

/**
 * The same settings as changes to apply on top of an inherited environment: the variables to set, and
 * the ones to remove as `undefined` (the shape of the runner's `env` option).
 */
export function offlineClaudeEnvOverlay(
  options: Omit<OfflineClaudeEnvOptions, 'base'>,
): Record<string, string | undefined> {
  const overlay: Record<string, string | undefined> = {};
  for (const name of REMOVED) overlay[name] = undefined;
  return {
    ...overlay,
    ANTHROPIC_BASE_URL: options.baseUrl,
    ANTHROPIC_API_KEY: 'sk-ant-mock-0000000000000000000000000000',
    CLAUDE_CONFIG_DIR: options.configDir,
    HOME: options.home,
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_TELEMETRY: '1',
    DISABLE_AUTOUPDATER: '1',
    DISABLE_ERROR_REPORTING: '1',
    CLAUDE_CODE_MAX_RETRIES: String(options.maxRetries ?? 0),
  };
}
