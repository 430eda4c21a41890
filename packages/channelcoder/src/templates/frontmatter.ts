/** Prompt files: YAML frontmatter between `---` lines, then the prompt body. Parsing and validation. */
import { isForbiddenKey } from '@channelcoder/session-core';
import { type Document, isScalar, parseDocument, visit } from 'yaml';
import { TemplateFrontmatterError } from './errors.js';
import { type InputField, readInputSchema } from './input-schema.js';

/** What a template's frontmatter may say. Unknown keys are an error (a typo must not pass silently). */
export interface TemplateFrontmatter {
  /** `--system-prompt`: replaces Claude Code's default system prompt. */
  systemPrompt?: string;
  /** `--append-system-prompt`. */
  appendSystemPrompt?: string;
  /** `--allowedTools`: a list, or one comma-separated string. */
  allowedTools?: string[];
  /** `--disallowedTools`. */
  disallowedTools?: string[];
  model?: string;
  /** A positive integer. */
  maxTurns?: number;
  permissionMode?: string;
  /** The input data the template takes, with types and defaults (see {@link InputField}). */
  input?: Record<string, InputField>;
  session?: { required?: boolean };
}

/** A parsed prompt template. */
export interface PromptTemplate {
  /** The file it was read from, when it was. */
  file?: string;
  frontmatter: TemplateFrontmatter;
  /** The prompt text after the frontmatter, with `{variables}` not yet filled in. */
  body: string;
}

const FENCE = /^---[ \t]*\r?\n([\s\S]*?)\r?\n?---[ \t]*(?:\r?\n|$)/;
const KNOWN = new Set([
  'systemPrompt',
  'appendSystemPrompt',
  'allowedTools',
  'disallowedTools',
  'model',
  'maxTurns',
  'permissionMode',
  'input',
  'schema',
  'session',
]);

/**
 * Parses a prompt template. Text without a leading `---` fence is all body (no frontmatter).
 *
 * @throws TemplateFrontmatterError naming the file and the field (or `(yaml)` for a YAML syntax error).
 */
export function parsePromptTemplate(text: string, options: { file?: string } = {}): PromptTemplate {
  const file = options.file;
  const source = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const match = FENCE.exec(source);
  const template: PromptTemplate = { frontmatter: {}, body: match ? source.slice(match[0].length) : source };
  if (file !== undefined) template.file = file;
  if (!match) return template;

  const yamlText = match[1] ?? '';
  // The YAML starts on the line after the opening fence; errors give the line in the file.
  const lineAt = (offset: number | undefined) =>
    offset === undefined ? undefined : 2 + (yamlText.slice(0, offset).match(/\n/g)?.length ?? 0);
  const doc = parseDocument(yamlText, { prettyErrors: false });
  const yamlError = doc.errors[0];
  if (yamlError !== undefined) {
    throw new TemplateFrontmatterError(
      file,
      '(yaml)',
      `is not valid YAML: ${yamlError.message.split('\n')[0]}`,
      lineAt(yamlError.pos[0]),
    );
  }
  const forbidden = forbiddenKeyIn(doc);
  if (forbidden !== undefined) {
    throw new TemplateFrontmatterError(
      file,
      forbidden.key,
      'is not allowed: "__proto__", "constructor" and "prototype" are never accepted as keys',
      lineAt(forbidden.offset),
    );
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    // The yaml library refuses alias expansions that would blow up (an "alias bomb").
    throw new TemplateFrontmatterError(
      file,
      '(yaml)',
      `cannot be read: ${(err as Error).message}`,
      lineAt(firstAliasOffset(doc)),
    );
  }
  if (raw === null || raw === undefined) return template;
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new TemplateFrontmatterError(file, '(frontmatter)', 'must be a mapping of fields');
  }
  template.frontmatter = readFrontmatter(raw as Record<string, unknown>, file);
  return template;
}

function readFrontmatter(raw: Record<string, unknown>, file: string | undefined): TemplateFrontmatter {
  const fail = (field: string, problem: string) => new TemplateFrontmatterError(file, field, problem);
  for (const key of Object.keys(raw)) {
    if (!KNOWN.has(key)) throw fail(key, `is not a known field (known: ${[...KNOWN].join(', ')})`);
  }
  const out: TemplateFrontmatter = {};
  for (const key of ['systemPrompt', 'appendSystemPrompt', 'model', 'permissionMode'] as const) {
    const value = raw[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string') throw fail(key, 'must be a string');
    out[key] = value;
  }
  for (const key of ['allowedTools', 'disallowedTools'] as const) {
    const value = raw[key];
    if (value === undefined || value === null) continue;
    out[key] = toolList(value, () => fail(key, 'must be a list of tool names or a comma-separated string'));
  }
  if (raw.maxTurns !== undefined && raw.maxTurns !== null) {
    if (!Number.isInteger(raw.maxTurns) || (raw.maxTurns as number) < 1) {
      throw fail('maxTurns', 'must be a positive integer');
    }
    out.maxTurns = raw.maxTurns as number;
  }
  if (raw.input !== undefined && raw.schema !== undefined) {
    throw fail('schema', 'and input say the same thing; keep one of them');
  }
  const inputKey = raw.input !== undefined ? 'input' : 'schema';
  const input = raw[inputKey];
  if (input !== undefined && input !== null) out.input = readInputSchema(input, inputKey, fail);
  if (raw.session !== undefined && raw.session !== null) {
    const session = raw.session;
    if (typeof session !== 'object' || Array.isArray(session)) {
      throw fail('session', 'must be a mapping such as { required: true }');
    }
    for (const key of Object.keys(session)) {
      if (key !== 'required') throw fail(`session.${key}`, 'is not a known field (known: required)');
    }
    const required = (session as { required?: unknown }).required;
    if (required !== undefined && typeof required !== 'boolean') {
      throw fail('session.required', 'must be true or false');
    }
    out.session = required === undefined ? {} : { required };
  }
  return out;
}

function toolList(value: unknown, error: () => Error): string[] {
  if (typeof value === 'string') {
    return value
      .split(',')
      .map((tool) => tool.trim())
      .filter((tool) => tool !== '');
  }
  if (Array.isArray(value) && value.every((tool) => typeof tool === 'string')) return [...value];
  throw error();
}

/** The first mapping key that is `__proto__`, `constructor` or `prototype`, and where it is. */
function forbiddenKeyIn(doc: Document): { key: string; offset: number | undefined } | undefined {
  let found: { key: string; offset: number | undefined } | undefined;
  visit(doc, {
    Pair(_, pair) {
      const key = pair.key;
      if (isScalar(key) && typeof key.value === 'string' && isForbiddenKey(key.value)) {
        found = { key: key.value, offset: key.range?.[0] };
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return found;
}

function firstAliasOffset(doc: Document): number | undefined {
  let offset: number | undefined;
  visit(doc, {
    Alias(_, alias) {
      offset = alias.range?.[0];
      return visit.BREAK;
    },
  });
  return offset;
}
