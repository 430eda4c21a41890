/**
 * "Machines" for the proofs: each has its own CLAUDE_CONFIG_DIR, HOME and working directory (so its own
 * local transcripts), and runs the REAL claude binary offline against one shared mock Anthropic API.
 */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  type ClaudeSandbox,
  claudeBinary,
  MockAnthropicServer,
  makeClaudeSandbox,
  offlineClaudeEnvOverlay,
} from '@channelcoder/testkit';

export interface Machine {
  readonly label: string;
  readonly sandbox: ClaudeSandbox;
  /** The runner's `env` overlay: mock URL, this machine's config dir and HOME, no retries, CLAUDE_BIN. */
  readonly env: Record<string, string | undefined>;
  /** Every transcript (`*.jsonl`) under this machine's `projects/`, as `folder/file`. */
  transcripts(): string[];
  /** Deletes every local transcript (what the CLI's 30-day cleanup does). */
  forgetTranscripts(): void;
}

export function makeMachine(label: string, mock: MockAnthropicServer): Machine {
  const sandbox = makeClaudeSandbox(`cc-e2e-${label}`);
  const env = {
    ...offlineClaudeEnvOverlay({ baseUrl: mock.url, configDir: sandbox.configDir, home: sandbox.home }),
    CLAUDE_BIN: claudeBinary(),
  };
  const projects = join(sandbox.configDir, 'projects');
  return {
    label,
    sandbox,
    env,
    transcripts() {
      let folders: string[];
      try {
        folders = readdirSync(projects);
      } catch {
        return [];
      }
      return folders.flatMap((f) =>
        readdirSync(join(projects, f))
          .filter((file) => file.endsWith('.jsonl'))
          .map((file) => `${f}/${file}`),
      );
    },
    forgetTranscripts() {
      rmSync(projects, { recursive: true, force: true });
    },
  };
}

export { MockAnthropicServer };
