/** The `input` section of a template's frontmatter: the data it takes, with types and defaults. */
import { TemplateDataError, type TemplateFrontmatterError } from './errors.js';

export type InputType = 'string' | 'number' | 'boolean' | 'array' | 'object' | 'any';

/**
 * One input field. In YAML either a type name (`topic: string`, `tags: string[]`, an optional field as
 * `notes?: string`) or a mapping `{ type, default, required, description }`. A field with a default is
 * never missing; a required field without a value is an error naming it.
 */
export interface InputField {
  type: InputType;
  required: boolean;
  default?: unknown;
  description?: string;
}

const TYPES = new Set<InputType>(['string', 'number', 'boolean', 'array', 'object', 'any']);

/** Validates the `input` mapping of a frontmatter; `fail(field, problem)` builds the error. */
export function readInputSchema(
  raw: unknown,
  key: string,
  fail: (field: string, problem: string) => TemplateFrontmatterError,
): Record<string, InputField> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw fail(key, 'must be a mapping of field names to types');
  }
  const fields: Record<string, InputField> = {};
  for (const [rawName, spec] of Object.entries(raw)) {
    const optional = rawName.endsWith('?');
    const name = optional ? rawName.slice(0, -1) : rawName;
    const path = `${key}.${name}`;
    if (!/^[A-Za-z_][\w-]*$/.test(name)) throw fail(path, 'is not a valid field name');
    if (typeof spec === 'string') {
      fields[name] = { type: typeName(spec, path, fail), required: !optional };
      continue;
    }
    if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
      throw fail(path, 'must be a type name (string, number, boolean, array, object) or a mapping');
    }
    const s = spec as Record<string, unknown>;
    for (const k of Object.keys(s)) {
      if (!['type', 'default', 'required', 'description'].includes(k)) {
        throw fail(`${path}.${k}`, 'is not a known field (known: type, default, required, description)');
      }
    }
    const type = s.type === undefined ? 'any' : typeName(s.type, `${path}.type`, fail);
    if (s.required !== undefined && typeof s.required !== 'boolean') {
      throw fail(`${path}.required`, 'must be true or false');
    }
    if (s.description !== undefined && typeof s.description !== 'string') {
      throw fail(`${path}.description`, 'must be a string');
    }
    const field: InputField = { type, required: s.required ?? (!optional && s.default === undefined) };
    if (s.default !== undefined) {
      if (!matchesType(s.default, type)) throw fail(`${path}.default`, `must be of type ${type}`);
      field.default = s.default;
    }
    if (typeof s.description === 'string') field.description = s.description;
    fields[name] = field;
  }
  return fields;
}

function typeName(
  value: unknown,
  path: string,
  fail: (field: string, problem: string) => TemplateFrontmatterError,
): InputType {
  if (typeof value === 'string') {
    const name = value.trim().endsWith('[]') ? 'array' : value.trim();
    if (TYPES.has(name as InputType)) return name as InputType;
  }
  throw fail(path, `has an unknown type ${JSON.stringify(value)} (use ${[...TYPES].join(', ')})`);
}

function matchesType(value: unknown, type: InputType): boolean {
  switch (type) {
    case 'any':
      return true;
    case 'array':
      return Array.isArray(value);
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    default:
      return typeof value === type;
  }
}

/**
 * The data a render sees: defaults filled in, values coerced to their declared type where that is
 * unambiguous (CLI data arrives as strings: `-d count=3`), required fields checked. Fields the schema
 * does not declare pass through unchanged.
 *
 * @throws TemplateDataError naming the field.
 */
export function applyInputSchema(
  schema: Record<string, InputField> | undefined,
  data: Record<string, unknown>,
  file: string | undefined,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...data };
  if (schema === undefined) return out;
  const missing: string[] = [];
  for (const [name, field] of Object.entries(schema)) {
    let value = out[name];
    if (value === undefined && field.default !== undefined) value = structuredClone(field.default);
    if (value === undefined) {
      if (field.required) missing.push(name);
      continue;
    }
    out[name] = coerce(value, field.type, name, file);
  }
  if (missing.length > 0) {
    throw new TemplateDataError(
      file,
      missing.join(', '),
      `${missing.length === 1 ? 'is' : 'are'} required by the template's input and missing (pass -d ${missing[0]}=…)`,
    );
  }
  return out;
}

function coerce(value: unknown, type: InputType, name: string, file: string | undefined): unknown {
  if (matchesType(value, type)) return value;
  const fail = () =>
    new TemplateDataError(file, name, `must be of type ${type}, got ${JSON.stringify(value)}`);
  if (type === 'string' && (typeof value === 'number' || typeof value === 'boolean')) return String(value);
  if (typeof value !== 'string') throw fail();
  if (type === 'number') {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n)) throw fail();
    return n;
  }
  if (type === 'boolean') {
    if (value === 'true') return true;
    if (value === 'false') return false;
    throw fail();
  }
  if (type === 'array') return value === '' ? [] : value.split(',').map((item) => item.trim());
  throw fail();
}
