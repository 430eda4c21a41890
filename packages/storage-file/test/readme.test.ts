/** Every code block of README.md, compiled and run or checked (see @channelcoder/testkit's README check). */
import { describeReadme } from '@channelcoder/testkit';
import { afterAll, describe, it } from 'vitest';

describeReadme({ describe, it, afterAll }, new URL('../README.md', import.meta.url));
