import { SessionCorruptError } from './errors.js';

const UTF8 = new TextDecoder();

/** Where a stored value came from, for error messages. */
export interface DecodeContext {
  /** The session name the value was stored under. */
  name: string;
  /** File path, key or row, when the adapter knows it. */
  location?: string;
}

/**
 * Reads fields of an untrusted stored value and raises SessionCorruptError naming the first bad field.
 * Small on purpose: the format has a dozen fields and a precise field path matters more than a schema DSL.
 */
export class WireReader {
  constructor(private readonly ctx: DecodeContext) {}

  fail(field: string, problem: string, cause?: unknown): never {
    throw new SessionCorruptError(this.ctx.name, field, problem, {
      ...(this.ctx.location === undefined ? {} : { location: this.ctx.location }),
      ...(cause === undefined ? {} : { cause }),
    });
  }

  object(value: unknown, field: string): Record<string, unknown> {
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      this.fail(field, 'is not an object');
    return value as Record<string, unknown>;
  }

  array(value: unknown, field: string): unknown[] {
    if (!Array.isArray(value)) this.fail(field, 'is not an array');
    return value;
  }

  string(value: unknown, field: string): string {
    if (typeof value !== 'string') this.fail(field, 'is not a string');
    return value;
  }

  optionalString(value: unknown, field: string): string | undefined {
    return value === undefined || value === null ? undefined : this.string(value, field);
  }

  number(value: unknown, field: string): number {
    if (typeof value !== 'number' || !Number.isFinite(value)) this.fail(field, 'is not a finite number');
    return value;
  }

  optionalNumber(value: unknown, field: string): number | undefined {
    return value === undefined || value === null ? undefined : this.number(value, field);
  }

  integer(value: unknown, field: string): number {
    const n = this.number(value, field);
    if (!Number.isInteger(n) || n < 0) this.fail(field, 'is not a non-negative integer');
    return n;
  }

  boolean(value: unknown, field: string): boolean {
    if (typeof value !== 'boolean') this.fail(field, 'is not a boolean');
    return value;
  }

  /** Accepts an ISO-8601 string (the wire form) or a Date (states handed over by seed-style storages). */
  date(value: unknown, field: string): Date {
    let date: Date | undefined;
    if (value instanceof Date) date = new Date(value.getTime());
    else if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value)) date = new Date(value);
    else if (typeof value === 'number') date = new Date(value);
    if (date === undefined || Number.isNaN(date.getTime())) this.fail(field, 'is not a valid date');
    return date;
  }

  stringArray(value: unknown, field: string): string[] {
    return this.array(value, field).map((item, i) => this.string(item, `${field}[${i}]`));
  }

  /** Parses JSON text; anything else is passed through as an already-parsed value. */
  parse(input: unknown): unknown {
    if (typeof input !== 'string' && !(input instanceof Uint8Array)) return input;
    const text = typeof input === 'string' ? input : UTF8.decode(input);
    try {
      return JSON.parse(text);
    } catch (err) {
      this.fail('(document)', `is not valid JSON (${(err as Error).message})`, err);
    }
  }
}
