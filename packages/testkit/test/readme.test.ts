/** Every code block of README.md, compiled and run or checked (see @channelcoder/testkit's README check). */

import { afterAll, describe, it } from 'vitest';
import { describeReadme } from '../src/index.js';

describeReadme({ describe, it, afterAll }, new URL('../README.md', import.meta.url));
