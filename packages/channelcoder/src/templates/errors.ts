/**
 * Typed errors of prompt templates. They are InvalidArgumentErrors (code `INVALID_ARGUMENT`: the caller's
 * input is wrong, nothing ran), with a static `is()` per kind that survives duplicate package copies.
 */
import { InvalidArgumentError } from '@channelcoder/session-core';

export type TemplateErrorKind =
  | 'frontmatter'
  | 'missing-variables'
  | 'session-required'
  | 'invalid-data'
  | 'permissions';

function kindOf(err: unknown): TemplateErrorKind | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const kind = (err as { templateErrorKind?: unknown }).templateErrorKind;
  return typeof kind === 'string' && InvalidArgumentError.is(err) ? (kind as TemplateErrorKind) : undefined;
}

/** Base of every template error; `file` is the template's path when it came from a file. */
export class TemplateError extends InvalidArgumentError {
  readonly file: string | undefined;
  /** Which template problem this is (what the static `is()` of each subclass checks). */
  readonly templateErrorKind: TemplateErrorKind;
  constructor(kind: TemplateErrorKind, message: string, file: string | undefined) {
    super(message);
    this.name = new.target.name;
    this.file = file;
    this.templateErrorKind = kind;
  }
  static override is(err: unknown): err is TemplateError {
    return kindOf(err) !== undefined;
  }
}

/** The frontmatter is not valid YAML, or a field has the wrong shape. */
export class TemplateFrontmatterError extends TemplateError {
  /** The offending field (`maxTurns`, `input.count.default`, …), or `(yaml)` for a syntax error. */
  readonly field: string;
  /** The line of the file (1-based, the opening `---` is line 1) the problem is on, when known. */
  readonly line: number | undefined;
  constructor(file: string | undefined, field: string, problem: string, line?: number) {
    super(
      'frontmatter',
      `Invalid frontmatter in ${file ?? 'the prompt template'}${line === undefined ? '' : ` (line ${line})`}: ${field} ${problem}.`,
      file,
    );
    this.field = field;
    this.line = line;
  }
  static override is(err: unknown): err is TemplateFrontmatterError {
    return kindOf(err) === 'frontmatter';
  }
}

/** `{variables}` the template uses that neither the data, the input defaults nor the session provide. */
export class MissingTemplateVariablesError extends TemplateError {
  readonly variables: string[];
  constructor(file: string | undefined, variables: string[]) {
    const list = variables.map((v) => `{${v}}`).join(', ');
    const hint = variables.some((v) => v.startsWith('session.'))
      ? ' Session variables need a loaded session (--load-session NAME).'
      : ' Pass them as data (-d name=value).';
    super(
      'missing-variables',
      `${file ?? 'The prompt template'} uses ${variables.length === 1 ? 'a variable' : 'variables'} with no value: ${list}.${hint}`,
      file,
    );
    this.variables = variables;
  }
  static override is(err: unknown): err is MissingTemplateVariablesError {
    return kindOf(err) === 'missing-variables';
  }
}

/** The template says `session: { required: true }` and was rendered without a session. */
export class SessionRequiredError extends TemplateError {
  constructor(file: string | undefined) {
    super(
      'session-required',
      `${file ?? 'The prompt template'} requires a session (session.required: true): continue one with ` +
        '--load-session NAME (or pass `session` when rendering).',
      file,
    );
  }
  static override is(err: unknown): err is SessionRequiredError {
    return kindOf(err) === 'session-required';
  }
}

/** Input data that does not match the template's `input` schema. */
export class TemplateDataError extends TemplateError {
  readonly field: string;
  constructor(file: string | undefined, field: string, problem: string) {
    super('invalid-data', `Invalid data for ${file ?? 'the prompt template'}: ${field} ${problem}.`, file);
    this.field = field;
  }
  static override is(err: unknown): err is TemplateDataError {
    return kindOf(err) === 'invalid-data';
  }
}

/** The template asks for more permissions than Claude Code's default, and the caller did not allow it. */
export class TemplatePermissionError extends TemplateError {
  /** The frontmatter field that asked (`permissionMode`). */
  readonly field: string;
  /** What it asked for (`bypassPermissions`, `acceptEdits`, …). */
  readonly requested: string;
  constructor(file: string | undefined, field: string, requested: string) {
    super(
      'permissions',
      `${file ?? 'The prompt template'} asks for ${field}: ${requested}, which raises Claude's permissions; ` +
        'a template may only do that when the command line allows it (--allow-template-permissions, or ' +
        '`allowPermissions: true` when rendering), or set --permission-mode yourself.',
      file,
    );
    this.field = field;
    this.requested = requested;
  }
  static override is(err: unknown): err is TemplatePermissionError {
    return kindOf(err) === 'permissions';
  }
}
