import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FakeInvocation, writeFakeClaude } from './fake-claude.js';

/** A temp dir with the fake CLI, its invocation log, and the env that selects a mode. */
export interface FakeCli {
  dir: string;
  bin: string;
  env(mode?: string, extra?: Record<string, string>): Record<string, string>;
  invocations(): FakeInvocation[];
  remove(): void;
}

export function makeFakeCli(): FakeCli {
  const dir = mkdtempSync(join(tmpdir(), 'cc-fake-cli-'));
  const bin = writeFakeClaude(dir);
  const log = join(dir, 'invocations.jsonl');
  return {
    dir,
    bin,
    env: (mode = 'same-id', extra = {}) => ({
      CLAUDE_BIN: bin,
      FAKE_CLAUDE_MODE: mode,
      FAKE_CLAUDE_LOG: log,
      ...extra,
    }),
    invocations: () =>
      existsSync(log)
        ? readFileSync(log, 'utf8')
            .trim()
            .split('\n')
            .map((l) => JSON.parse(l) as FakeInvocation)
        : [],
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
