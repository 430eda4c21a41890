/** Every code block of README.md, compiled and run (see @channelcoder/testkit's README check). */
import { describeReadme, preludeOf } from '@channelcoder/testkit';
import { afterAll, describe, it } from 'vitest';

describeReadme({ describe, it, afterAll }, new URL('../README.md', import.meta.url), {
  // What the fragments use from the blocks before them.
  prelude: preludeOf({
    session: "import { session } from '@channelcoder/session-core';",
    SessionSaveError: "import { SessionSaveError } from '@channelcoder/session-core';",
    SessionNotFoundError: "import { SessionNotFoundError } from '@channelcoder/session-core';",
    FileSessionStorage: "import { FileSessionStorage } from '@channelcoder/storage-file';",
    storage: "const storage = new (await import('@channelcoder/storage-file')).FileSessionStorage();",
    s: "const s = (await import('@channelcoder/session-core')).session({\n  name: 'readme-example',\n  storage: new (await import('@channelcoder/storage-file')).FileSessionStorage(),\n});",
    alerts: 'const alerts: string[] = [];',
    // A fresh git checkout with one commit, for the worktree example.
    repo: "const repo = (await import('node:child_process'))\n  .execSync('git init -q -b main app && git -C app -c user.name=t -c user.email=t@t commit -q --allow-empty -m start && cd app && pwd')\n  .toString()\n  .trim();",
  }),
});
