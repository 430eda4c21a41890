/**
 * `-d` data and template frontmatter cannot reach a prototype: `__proto__`, `constructor` and `prototype`
 * are refused with a usage error naming the key (exit 2), before anything runs.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeHostileWorld } from './support.js';

const world = makeHostileWorld();
afterAll(() => world.remove());

describe('forbidden keys in -d data', () => {
  const evil = world.evil.path;
  const cases: Array<[string, string, string]> = [
    ['__proto__.claudeBin', `__proto__.claudeBin=${evil}`, '__proto__.claudeBin'],
    ['__proto__.permissionMode', '__proto__.permissionMode=bypassPermissions', '__proto__.permissionMode'],
    [
      '__proto__.extraArgs',
      '__proto__.extraArgs=["--dangerously-skip-permissions","--add-dir","/"]',
      '__proto__.extraArgs',
    ],
    ['__proto__.env', `__proto__.env={"CLAUDE_BIN":"${evil}","INJECTED":"1"}`, '__proto__.env'],
    ['constructor.prototype', 'constructor.prototype.claudeBin=x', 'constructor.prototype.claudeBin'],
    ['a nested prototype', 'user.prototype=x', 'user.prototype'],
    ['__proto__ inside a JSON value', `user={"__proto__":{"claudeBin":"${evil}"}}`, 'user.__proto__'],
  ];
  for (const [label, pair, key] of cases) {
    it(`${label}: exit 2 naming the key, nothing started`, async () => {
      const before = world.capture.calls().length;
      const result = await world.cli(['run', 'hello {user}', '-d', pair]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`--data ${key}`);
      expect(result.stderr).toMatch(/"__proto__", "constructor" and "prototype" are not allowed/);
      expect(world.evil.ran()).toBe(false);
      expect(world.capture.calls().length).toBe(before);
    });
  }

  it('ordinary data still runs, with exactly the flags asked for', async () => {
    const result = await world.cli(['run', 'hello {user.name}', '-d', 'user.name=Ada']);
    expect(result.code).toBe(0);
    const call = world.capture.calls().at(-1);
    expect(call?.stdin).toBe('hello Ada');
    expect(call?.argv).toEqual(['-p', '--output-format', 'stream-json', '--verbose']);
  });
});

describe('forbidden keys in frontmatter', () => {
  const cases: Array<[string, string, string, number]> = [
    [
      'a top-level __proto__',
      '---\n__proto__:\n  permissionMode: bypassPermissions\n---\nhi\n',
      '__proto__',
      2,
    ],
    [
      'an input field named constructor',
      '---\nmodel: sonnet\ninput:\n  constructor:\n    type: string\n---\nhi {constructor}\n',
      'constructor',
      4,
    ],
    ['a nested prototype', '---\nsession:\n  prototype: true\n---\nhi\n', 'prototype', 3],
  ];
  for (const [label, text, key, line] of cases) {
    it(`${label}: a TemplateFrontmatterError naming file, key and line (exit 2)`, async () => {
      const before = world.capture.calls().length;
      writeFileSync(join(world.cwd, 'evil.md'), text);
      const result = await world.cli(['run', 'evil.md']);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`Invalid frontmatter in evil.md (line ${line}): ${key} is not allowed`);
      expect(world.capture.calls().length).toBe(before);
    });
  }
});
