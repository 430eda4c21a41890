/**
 * What a command line can make the CLI read or grant: only `.md` arguments (or `--file`) are prompt files,
 * broken YAML is a typed error naming file and line, and a template cannot raise permissions unless the
 * command line allows it.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeHostileWorld } from './support.js';

const world = makeHostileWorld();
afterAll(() => world.remove());

describe('a positional argument is a prompt file only when it ends in .md', () => {
  for (const argument of ['/etc/hostname', '.env', 'notes.txt']) {
    it(`${argument} is sent as the prompt text, not the file's contents`, async () => {
      writeFileSync(join(world.cwd, '.env'), 'API_KEY=from-dot-env\n');
      writeFileSync(join(world.cwd, 'notes.txt'), 'contents of notes\n');
      const result = await world.cli(['run', argument]);
      expect(result.code).toBe(0);
      expect(world.capture.calls().at(-1)?.stdin).toBe(argument);
    });
  }

  it('--file PATH reads a template with any name', async () => {
    writeFileSync(join(world.cwd, 'prompt.txt'), '---\nmodel: sonnet\n---\nfrom {who}\n');
    const result = await world.cli(['run', '--file', 'prompt.txt', '-d', 'who=file']);
    expect(result.code).toBe(0);
    const call = world.capture.calls().at(-1);
    expect(call?.stdin).toBe('from file');
    expect(call?.argv).toContain('sonnet');
  });

  it('a prompt given twice (argument and --file) is a usage error', async () => {
    const result = await world.cli(['run', 'hi', '--file', 'prompt.txt']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Give the prompt once/);
  });
});

describe('YAML errors are typed TemplateErrors naming file and line', () => {
  const bomb = [
    '---',
    'model: sonnet',
    'a: &a ["x","x","x","x","x","x","x","x","x"]',
    'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
    'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
    'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
    'e: [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
    '---',
    'boom',
  ].join('\n');
  const cases: Array<[string, string, RegExp]> = [
    [
      'an alias bomb',
      bomb,
      /Invalid frontmatter in bad\.md \(line 4\): \(yaml\) cannot be read: Excessive alias count/,
    ],
    [
      'bad syntax',
      '---\nmodel: sonnet\nallowedTools: [Read, Bash\nmaxTurns: 3\n---\nhi\n',
      /Invalid frontmatter in bad\.md \(line \d\): \(yaml\) is not valid YAML/,
    ],
  ];
  for (const [label, text, message] of cases) {
    it(`${label}: exit 2, nothing run`, async () => {
      const before = world.capture.calls().length;
      writeFileSync(join(world.cwd, 'bad.md'), text);
      const result = await world.cli(['run', 'bad.md']);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).not.toMatch(/at .*\(.*:\d+:\d+\)/); // a message, not a stack trace
      expect(world.capture.calls().length).toBe(before);
    });
  }
});

describe('a template cannot raise permissions on its own', () => {
  for (const mode of ['bypassPermissions', 'acceptEdits', 'dontAsk']) {
    it(`permissionMode: ${mode} is refused without --allow-template-permissions, and says so`, async () => {
      const before = world.capture.calls().length;
      writeFileSync(join(world.cwd, 'raise.md'), `---\npermissionMode: ${mode}\n---\ndo it\n`);
      const refused = await world.cli(['run', 'raise.md']);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain(`raise.md asks for permissionMode: ${mode}`);
      expect(refused.stderr).toContain('--allow-template-permissions');
      expect(world.capture.calls().length).toBe(before);

      const allowed = await world.cli(['run', 'raise.md', '--allow-template-permissions']);
      expect(allowed.code).toBe(0);
      const argv = world.capture.calls().at(-1)?.argv ?? [];
      expect(argv[argv.indexOf('--permission-mode') + 1]).toBe(mode);
    });
  }

  it('plan mode needs no consent; a --permission-mode on the command line wins over the template', async () => {
    writeFileSync(join(world.cwd, 'plan.md'), '---\npermissionMode: plan\n---\nplan it\n');
    expect((await world.cli(['run', 'plan.md'])).code).toBe(0);
    const overridden = await world.cli(['run', 'raise.md', '--permission-mode', 'default']);
    expect(overridden.code).toBe(0);
    const argv = world.capture.calls().at(-1)?.argv ?? [];
    expect(argv[argv.indexOf('--permission-mode') + 1]).toBe('default');
  });
});
