import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  InvalidArgumentError,
  loadPromptTemplate,
  MissingTemplateVariablesError,
  parsePromptTemplate,
  renderPromptTemplate,
  SessionRequiredError,
  TemplateDataError,
  TemplateFrontmatterError,
} from '../src/index.js';

const render = (text: string, options: Parameters<typeof renderPromptTemplate>[1] = {}) =>
  renderPromptTemplate(parsePromptTemplate(text, { file: 'task.md' }), options);

describe('frontmatter', () => {
  it('maps its fields to run options', () => {
    const t = parsePromptTemplate(
      '---\nsystemPrompt: Be brief\nallowedTools: Read, Bash(git log:*)\nmodel: sonnet\nmaxTurns: 3\npermissionMode: plan\n---\nHello\n',
    );
    expect(renderPromptTemplate(t)).toEqual({
      prompt: 'Hello',
      options: {
        systemPrompt: 'Be brief',
        allowedTools: ['Read', 'Bash(git log:*)'],
        model: 'sonnet',
        maxTurns: 3,
        permissionMode: 'plan',
      },
    });
  });

  it('treats a text without a fence as all body', () => {
    expect(parsePromptTemplate('just {x}').body).toBe('just {x}');
  });

  it('names the file and the field of invalid frontmatter', () => {
    const bad = (text: string) => {
      try {
        parsePromptTemplate(text, { file: 'prompts/x.md' });
      } catch (err) {
        expect(TemplateFrontmatterError.is(err)).toBe(true);
        expect(InvalidArgumentError.is(err)).toBe(true);
        return err as TemplateFrontmatterError;
      }
      throw new Error('no error');
    };
    const e1 = bad('---\nmaxTurns: lots\n---\nx');
    expect(e1.field).toBe('maxTurns');
    expect(e1.message).toContain('prompts/x.md');
    expect(bad('---\nmaxTurn: 2\n---\nx').field).toBe('maxTurn');
    expect(bad('---\nsession: { required: yes please }\n---\nx').field).toBe('session.required');
    expect(bad('---\nsystemPrompt: [a\n---\nx').field).toBe('(yaml)');
    expect(bad('---\ninput:\n  count: {type: number, default: many}\n---\nx').field).toBe(
      'input.count.default',
    );
    expect(bad('---\ninput:\n  count: integerish\n---\nx').field).toBe('input.count');
  });
});

describe('interpolation', () => {
  it('fills nested paths, array items and whole arrays', () => {
    const { prompt } = render('{user.name} has {files[0]} and {files.1}; all: {files}; meta {meta}', {
      data: { user: { name: 'Ann' }, files: ['a.ts', 'b.ts'], meta: { k: 1 } },
    });
    expect(prompt).toBe('Ann has a.ts and b.ts; all: a.ts, b.ts; meta {\n  "k": 1\n}');
  });

  it('leaves code braces alone and honours \\{ escapes', () => {
    expect(render('function f() { return {a: 1}; } \\{name}', { data: {} }).prompt).toBe(
      'function f() { return {a: 1}; } {name}',
    );
  });

  it('reports every missing variable by name', () => {
    try {
      render('{a} {b.c} {a} {d[2]}', { data: { b: {} } });
      throw new Error('no error');
    } catch (err) {
      expect(MissingTemplateVariablesError.is(err)).toBe(true);
      expect((err as MissingTemplateVariablesError).variables).toEqual(['a', 'b.c', 'd[2]']);
      expect((err as Error).message).toContain('{b.c}');
    }
  });

  it('applies input defaults and coerces CLI strings to declared types', () => {
    const t =
      '---\ninput:\n  count: number\n  tone: { type: string, default: calm }\n  tags?: string[]\n---\n{count} {tone} {tags}';
    expect(render(t, { data: { count: '3', tags: 'x,y' } }).prompt).toBe('3 calm x, y');
    expect(() => render(t, { data: { count: 'three' } })).toThrow(TemplateDataError);
    expect(() => render(t, { data: {} })).toThrow(
      expect.objectContaining({ field: 'count', templateErrorKind: 'invalid-data' }),
    );
  });
});

describe('session context', () => {
  const s = {
    id: () => 'a1b2',
    name: () => 'todo-app',
    messages: () => [
      { id: '1', role: 'user' as const, content: 'hi', timestamp: new Date(), sessionId: 'a1b2' },
      {
        id: '2',
        role: 'assistant' as const,
        content: 'hello there',
        timestamp: new Date(),
        sessionId: 'a1b2',
      },
    ],
  };

  it('exposes id, name, messageCount and lastMessage', () => {
    expect(
      render('{session.name} {session.id} {session.messageCount}: {session.lastMessage}', { session: s })
        .prompt,
    ).toBe('todo-app a1b2 2: hello there');
  });

  it('refuses a session-required template without a session, before anything else', () => {
    const t = '---\nsession:\n  required: true\n---\nContinue {missing}';
    expect(() => render(t)).toThrow(SessionRequiredError);
    expect(render('---\nsession:\n  required: true\n---\nContinue', { session: s }).prompt).toBe('Continue');
  });

  it('says session variables need a loaded session', () => {
    expect(() => render('{session.lastMessage}')).toThrow(/--load-session/);
  });
});

describe('loadPromptTemplate', () => {
  it('reads a file and reports a missing one as an invalid argument', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cc-tpl-'));
    writeFileSync(join(dir, 'p.md'), '---\nmodel: opus\n---\nHi {who}\n');
    const t = await loadPromptTemplate(join(dir, 'p.md'));
    expect(t.file).toBe(join(dir, 'p.md'));
    expect(renderPromptTemplate(t, { data: { who: 'you' } }).prompt).toBe('Hi you');
    await expect(loadPromptTemplate(join(dir, 'nope.md'))).rejects.toThrow(/Prompt file not found/);
  });
});
