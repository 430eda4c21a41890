/** Running sessions against the REAL claude CLI, offline, against the in-repo mock Anthropic API. */
import {
  type ClaudeSandbox,
  claudeBinary,
  MockAnthropicServer,
  makeClaudeSandbox,
  offlineClaudeEnvOverlay,
} from '../../../../testkit/src/index.js';

export interface RealClaude {
  mock: MockAnthropicServer;
  sandbox: ClaudeSandbox;
  /** Overlay for the runner's `env` option: mock URL, temp config dir and HOME, no retries, CLAUDE_BIN. */
  env: Record<string, string | undefined>;
  close(): Promise<void>;
}

export async function startRealClaude(): Promise<RealClaude> {
  const mock = await MockAnthropicServer.start();
  const sandbox = makeClaudeSandbox('cc-e2e');
  const env = {
    ...offlineClaudeEnvOverlay({ baseUrl: mock.url, configDir: sandbox.configDir, home: sandbox.home }),
    CLAUDE_BIN: claudeBinary(),
  };
  return {
    mock,
    sandbox,
    env,
    close: async () => {
      await mock.close();
      sandbox.remove();
    },
  };
}
