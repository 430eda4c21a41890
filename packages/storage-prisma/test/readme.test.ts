/** Every code block of README.md: the TypeScript ones are files under examples/, which examples.test.ts runs. */
import { describeReadme } from '@channelcoder/testkit';
import { afterAll, describe, it } from 'vitest';

describeReadme({ describe, it, afterAll }, new URL('../README.md', import.meta.url));
