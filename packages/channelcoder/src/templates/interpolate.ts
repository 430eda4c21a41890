/**
 * `{path}` interpolation. A placeholder is a brace pair around a variable path: `{topic}`, `{user.name}`,
 * `{files[0]}`, `{files.0}`, `{session.lastMessage}`. Anything else in braces (code, JSON, `{ spaced }`)
 * is left as it is, so prompts can contain code. `\{` writes a literal `{`.
 *
 * Values: strings as they are, numbers and booleans as text, arrays of scalars joined with `, `, other
 * objects and arrays as JSON. `null` counts as a value (`null`); `undefined` is missing.
 */

const PLACEHOLDER = /\\\{|\{([A-Za-z_][\w-]*(?:\.[\w-]+|\[\d+\])*)\}/g;

/** The variable paths a text uses, in order of first use. */
export function templateVariables(text: string): string[] {
  const seen = new Set<string>();
  for (const match of text.matchAll(PLACEHOLDER)) if (match[1] !== undefined) seen.add(match[1]);
  return [...seen];
}

/** Looks a path up in data: `a.b`, `a[0]`, `a.0`. */
export function lookupPath(data: unknown, path: string): unknown {
  let current: unknown = data;
  for (const part of path.split(/\.|\[(\d+)\]/).filter((p) => p !== undefined && p !== '')) {
    if (current === null || typeof current !== 'object') return undefined;
    if (!Object.hasOwn(current, part)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/** Renders a value for a prompt. */
export function formatValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((item) => item === null || typeof item !== 'object')) {
    return value.map((item) => String(item)).join(', ');
  }
  if (typeof value === 'object' && value !== null) return JSON.stringify(value, null, 2);
  return String(value);
}

/** Fills in placeholders; returns the text and the paths that had no value (left in place). */
export function interpolate(text: string, data: unknown): { text: string; missing: string[] } {
  const missing = new Set<string>();
  const out = text.replace(PLACEHOLDER, (whole, path: string | undefined) => {
    if (path === undefined) return '{';
    const value = lookupPath(data, path);
    if (value === undefined) {
      missing.add(path);
      return whole;
    }
    return formatValue(value);
  });
  return { text: out, missing: [...missing] };
}
