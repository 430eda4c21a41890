/**
 * Option objects are read by own property only. A value a caller did not set must never come from
 * `Object.prototype` (polluted by some other code in the process, or by `__proto__` in user data), because
 * these values become the child's binary, flags, working directory and environment.
 */

/** Keys that reach or replace an object's prototype; refused in user data and options. */
export const FORBIDDEN_KEYS: readonly string[] = ['__proto__', 'constructor', 'prototype'];

/** True for `__proto__`, `constructor` and `prototype`. */
export function isForbiddenKey(key: string): boolean {
  return FORBIDDEN_KEYS.includes(key);
}

/**
 * The dotted path of the first forbidden key in `value` (own keys, nested objects and arrays included),
 * or undefined when there is none. `at` prefixes the path (`data`, `frontmatter`).
 */
export function findForbiddenKey(value: unknown, at = ''): string | undefined {
  const seen = new Set<object>();
  const walk = (node: unknown, path: string): string | undefined => {
    if (typeof node !== 'object' || node === null || seen.has(node)) return undefined;
    seen.add(node);
    for (const key of Reflect.ownKeys(node)) {
      if (typeof key !== 'string') continue;
      const here = path === '' ? key : `${path}.${key}`;
      if (isForbiddenKey(key)) return here;
      const found = walk((node as Record<string, unknown>)[key], here);
      if (found !== undefined) return found;
    }
    return undefined;
  };
  return walk(value, at);
}

/** `object[key]` when `object` has that own property, else undefined (never an inherited value). */
export function ownValue<T extends object, K extends keyof T>(
  object: T | null | undefined,
  key: K,
): T[K] | undefined {
  if (object === null || object === undefined || !Object.hasOwn(object, key)) return undefined;
  return object[key];
}

/**
 * A shallow copy of `object`'s own enumerable properties on a null prototype: reading a key the caller did
 * not set gives undefined whatever `Object.prototype` holds, and `for…in` (as `child_process` does with
 * `env`) sees only these keys.
 */
export function ownCopy<T extends object>(object: T | null | undefined): T {
  const copy = Object.create(null) as T;
  if (object === null || object === undefined) return copy;
  for (const key of Object.keys(object)) {
    (copy as Record<string, unknown>)[key] = (object as Record<string, unknown>)[key];
  }
  return copy;
}
