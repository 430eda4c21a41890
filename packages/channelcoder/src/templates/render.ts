/** Rendering a template: data + session context → the prompt and the run options it asks for. */
import { readFile } from 'node:fs/promises';
import {
  findForbiddenKey,
  InvalidArgumentError,
  type Message,
  type SessionRunOptions,
} from '@channelcoder/session-core';
import {
  MissingTemplateVariablesError,
  SessionRequiredError,
  TemplateDataError,
  TemplatePermissionError,
} from './errors.js';
import { type PromptTemplate, parsePromptTemplate } from './frontmatter.js';
import { applyInputSchema } from './input-schema.js';
import { interpolate } from './interpolate.js';

/** What `{session.*}` placeholders see. */
export interface TemplateSessionContext {
  /** The Claude session id the next turn resumes (`{session.id}`). */
  id?: string;
  /** The saved name (`{session.name}`). */
  name?: string;
  /** `{session.messageCount}`. */
  messageCount: number;
  /** Content of the last message of the conversation (`{session.lastMessage}`); absent when empty. */
  lastMessage?: string;
}

/** The part of a session object the context is read from (a `Session` fits). */
export interface SessionLike {
  id(): string | undefined;
  name(): string | undefined;
  messages(): Message[];
}

/** The `{session.*}` context of a session object. */
export function sessionContext(s: SessionLike): TemplateSessionContext {
  const messages = s.messages();
  const context: TemplateSessionContext = { messageCount: messages.length };
  const id = s.id();
  const name = s.name();
  const last = messages.at(-1);
  if (id !== undefined) context.id = id;
  if (name !== undefined) context.name = name;
  if (last !== undefined) context.lastMessage = last.content;
  return context;
}

export interface RenderOptions {
  /** Input data; nested objects and arrays are addressed as `{a.b}` and `{list[0]}`. */
  data?: Record<string, unknown>;
  /** The session the prompt continues: a session object or its context. */
  session?: SessionLike | TemplateSessionContext;
  /**
   * Let the template raise Claude's permissions (a `permissionMode` other than `default` or `plan`).
   * Default false: such a template is refused with TemplatePermissionError. Frontmatter has no field
   * for extra CLI flags or directories at all.
   */
  allowPermissions?: boolean;
}

/** Permission modes a template may always ask for: they never grant more than Claude Code's default. */
const SAFE_PERMISSION_MODES = new Set(['default', 'plan']);

export interface RenderedPrompt {
  prompt: string;
  /** Run options from the frontmatter (system prompt, tools, model, max turns, permission mode). */
  options: SessionRunOptions;
}

/**
 * Fills a template in. Checks, in this order, before anything runs: `session.required` (SessionRequiredError),
 * a raised permission mode without `allowPermissions` (TemplatePermissionError),
 * the input schema (TemplateDataError), then every placeholder (MissingTemplateVariablesError naming all
 * missing ones). `data.session` is reserved for the session context.
 */
export function renderPromptTemplate(template: PromptTemplate, options: RenderOptions = {}): RenderedPrompt {
  const { frontmatter, file } = template;
  if (frontmatter.session?.required === true && options.session === undefined) {
    throw new SessionRequiredError(file);
  }
  const mode = frontmatter.permissionMode;
  if (mode !== undefined && !SAFE_PERMISSION_MODES.has(mode) && options.allowPermissions !== true) {
    throw new TemplatePermissionError(file, 'permissionMode', mode);
  }
  if (options.data !== undefined && Object.hasOwn(options.data, 'session')) {
    throw new InvalidArgumentError(
      'Template data cannot set "session": {session.*} comes from the loaded session.',
    );
  }
  const forbidden = findForbiddenKey(options.data, 'data');
  if (forbidden !== undefined) {
    throw new TemplateDataError(
      file,
      forbidden,
      'is not allowed: "__proto__", "constructor" and "prototype" are never accepted as keys',
    );
  }
  const data: Record<string, unknown> = applyInputSchema(frontmatter.input, options.data ?? {}, file);
  if (options.session !== undefined) {
    const s = options.session;
    data.session = 'messages' in s && typeof s.messages === 'function' ? sessionContext(s) : s;
  }
  const rendered = interpolate(template.body, data);
  if (rendered.missing.length > 0) throw new MissingTemplateVariablesError(file, rendered.missing);
  return { prompt: rendered.text.trim(), options: runOptionsOf(template) };
}

function runOptionsOf(template: PromptTemplate): SessionRunOptions {
  const f = template.frontmatter;
  const options: SessionRunOptions = {};
  if (f.systemPrompt !== undefined) options.systemPrompt = f.systemPrompt;
  if (f.appendSystemPrompt !== undefined) options.appendSystemPrompt = f.appendSystemPrompt;
  if (f.allowedTools !== undefined) options.allowedTools = f.allowedTools;
  if (f.disallowedTools !== undefined) options.disallowedTools = f.disallowedTools;
  if (f.model !== undefined) options.model = f.model;
  if (f.maxTurns !== undefined) options.maxTurns = f.maxTurns;
  if (f.permissionMode !== undefined) options.permissionMode = f.permissionMode;
  return options;
}

/**
 * Reads and parses a prompt file; `options.name` is how errors and `template.file` name it (default: the path).
 *
 * @throws InvalidArgumentError when the file cannot be read; TemplateFrontmatterError for bad frontmatter.
 */
export async function loadPromptTemplate(
  file: string,
  options: { name?: string } = {},
): Promise<PromptTemplate> {
  const name = options.name ?? file;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InvalidArgumentError(
      code === 'ENOENT'
        ? `Prompt file not found: ${name}`
        : `Cannot read prompt file ${name}: ${(err as Error).message}`,
    );
  }
  return parsePromptTemplate(text, { file: name });
}
