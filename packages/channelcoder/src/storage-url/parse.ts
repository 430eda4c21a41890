/** `--storage URL` / `CHANNELCODER_STORAGE`: which storage a URL names. Pure (no I/O). */
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError } from '@channelcoder/session-core/model';

export type StorageSpec =
  | { kind: 'file'; dir?: string }
  | { kind: 'redis'; url: string; prefix?: string; ttlSeconds?: number }
  | {
      kind: 's3';
      bucket: string;
      prefix?: string;
      endpoint?: string;
      region?: string;
      forcePathStyle?: boolean;
    }
  | { kind: 'postgresql'; url: string };

/** A storage URL that cannot be used; nothing was opened. */
export class StorageUrlError extends InvalidArgumentError {
  readonly url: string;
  constructor(url: string, problem: string) {
    super(
      `Invalid storage URL ${JSON.stringify(redactUrl(url))}: ${problem}. Use file:///dir, ` +
        'redis://host:port/db?prefix=…, s3://bucket/prefix?endpoint=…&region=… or postgresql://….',
    );
    this.url = redactUrl(url);
  }
}

const SCHEME = /[a-z][a-z0-9+.-]*:\/\//gi;
const SECRET_PARAM =
  /([?&](?:password|passwd|pwd|secret|token|key|access_?key|secret_?key|sig|signature)=)[^&#\s"']*/gi;

/**
 * `text` with the credentials of every URL in it replaced by `***`: the password after `user:`, a bare
 * token before `@`, and query parameters that carry secrets (`password=`, `token=`, `key=`, …). Works on
 * text that does not parse as a URL (a password holding `/`, `@` or `:`), and on whole messages and stack
 * traces that contain URLs.
 */
export function redactUrl(text: string): string {
  const starts = [...text.matchAll(SCHEME)].map((m) => m.index ?? 0);
  if (starts.length === 0) return text;
  let out = text.slice(0, starts[0]);
  starts.forEach((start, i) => {
    const end = starts[i + 1] ?? text.length;
    out += redactOne(text.slice(start, end));
  });
  return out;
}

function redactOne(segment: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(segment)?.[0] ?? '';
  let rest = segment.slice(scheme.length);
  // The URL ends at whitespace or a quote; what follows is the surrounding message.
  const stop = rest.search(/[\s"'<>`]/);
  const tail = stop === -1 ? '' : rest.slice(stop);
  rest = stop === -1 ? rest : rest.slice(0, stop);
  const at = rest.lastIndexOf('@');
  if (at !== -1) {
    const userinfo = rest.slice(0, at);
    const colon = userinfo.indexOf(':');
    if (colon !== -1) rest = `${userinfo.slice(0, colon)}:***${rest.slice(at)}`;
    else if (!/[/?#]/.test(userinfo) && userinfo !== '') rest = `***${rest.slice(at)}`;
  }
  return `${scheme}${rest.replace(SECRET_PARAM, '$1***')}${tail}`;
}

/**
 * The secret parts of a storage URL (password, bare token, secret query values), decoded and as written,
 * so a caller can keep them out of places a URL pattern does not cover (a child's environment).
 */
export function urlCredentials(text: string): string[] {
  const found = new Set<string>();
  const body = text.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  const at = body.lastIndexOf('@');
  if (at !== -1) {
    const userinfo = body.slice(0, at);
    const colon = userinfo.indexOf(':');
    const secret = colon === -1 ? (/[/?#]/.test(userinfo) ? '' : userinfo) : userinfo.slice(colon + 1);
    if (secret !== '') found.add(secret);
  }
  for (const m of text.matchAll(SECRET_PARAM)) {
    const value = m[0].slice(m[1]?.length ?? 0);
    if (value !== '') found.add(value);
  }
  for (const value of [...found]) {
    try {
      found.add(decodeURIComponent(value));
    } catch {
      // not percent-encoded
    }
  }
  return [...found].filter((v) => v.length >= 3);
}

/**
 * Parses a storage URL. Accepted:
 * - `file:///abs/dir` or a plain path (`./sessions`, `/var/sessions`): FileSessionStorage in that directory;
 *   `file:` alone: the default directory (`$CHANNELCODER_HOME/sessions`, else `~/.channelcoder/sessions`).
 * - `redis://[user:password@]host[:port][/db][?prefix=app:&ttl=3600]` (also `rediss://`).
 * - `s3://bucket[/prefix][?endpoint=https://…&region=…&forcePathStyle=true]` (credentials from the AWS
 *   environment / profile chain).
 * - `postgresql://…` or `postgres://…`: PostgreSQL through @channelcoder/storage-prisma.
 *
 * @throws StorageUrlError for anything else or for a malformed URL of a known scheme.
 */
export function parseStorageUrl(input: string, cwd: string = process.cwd()): StorageSpec {
  const text = input.trim();
  if (text === '') throw new StorageUrlError(input, 'it is empty');
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(text)?.[1]?.toLowerCase();
  if (scheme === undefined || (scheme.length === 1 && /^[a-z]:[\\/]/i.test(text))) {
    return { kind: 'file', dir: isAbsolute(text) ? text : resolve(cwd, text) };
  }
  switch (scheme) {
    case 'file':
      return fileSpec(text);
    case 'redis':
    case 'rediss':
      return redisSpec(text);
    case 's3':
      return s3Spec(text);
    case 'postgres':
    case 'postgresql':
      parseUrl(text);
      return { kind: 'postgresql', url: text };
    default:
      throw new StorageUrlError(text, `the scheme "${scheme}:" is not supported`);
  }
}

function parseUrl(text: string): URL {
  try {
    return new URL(text);
  } catch {
    throw new StorageUrlError(text, 'it is not a well-formed URL');
  }
}

function fileSpec(text: string): StorageSpec {
  if (text === 'file:' || text === 'file://') return { kind: 'file' };
  const url = parseUrl(text);
  if (url.host !== '' && url.host !== 'localhost') {
    throw new StorageUrlError(text, 'file URLs name a local directory: file:///absolute/path');
  }
  if (url.search !== '') throw new StorageUrlError(text, 'file URLs take no query parameters');
  return { kind: 'file', dir: fileURLToPath(url) };
}

function redisSpec(text: string): StorageSpec {
  const url = parseUrl(text);
  if (url.hostname === '') throw new StorageUrlError(text, 'it names no host');
  if (url.port !== '' && !(Number(url.port) > 0)) throw new StorageUrlError(text, 'the port is invalid');
  const db = url.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d{1,2}$/.test(db))
    throw new StorageUrlError(text, `the database "${db}" is not a number`);
  const spec: { kind: 'redis'; url: string; prefix?: string; ttlSeconds?: number } = {
    kind: 'redis',
    url: '',
  };
  for (const [key, value] of url.searchParams) {
    if (key === 'prefix') {
      if (value === '') throw new StorageUrlError(text, 'prefix is empty');
      spec.prefix = value;
    } else if (key === 'ttl') {
      const ttl = Number(value);
      if (!(Number.isFinite(ttl) && ttl > 0))
        throw new StorageUrlError(text, 'ttl must be a positive number of seconds');
      spec.ttlSeconds = ttl;
    } else {
      throw new StorageUrlError(text, `unknown parameter "${key}" (known: prefix, ttl)`);
    }
  }
  url.search = '';
  spec.url = url.toString();
  return spec;
}

function s3Spec(text: string): StorageSpec {
  const url = parseUrl(text);
  const bucket = url.hostname;
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new StorageUrlError(text, `"${bucket}" is not a valid bucket name`);
  }
  const spec: {
    kind: 's3';
    bucket: string;
    prefix?: string;
    endpoint?: string;
    region?: string;
    forcePathStyle?: boolean;
  } = { kind: 's3', bucket };
  const prefix = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (prefix !== '') spec.prefix = prefix.endsWith('/') ? prefix : `${prefix}/`;
  for (const [key, value] of url.searchParams) {
    if (key === 'endpoint') {
      const endpoint = parseUrl(value);
      if (endpoint.protocol !== 'http:' && endpoint.protocol !== 'https:') {
        throw new StorageUrlError(text, 'endpoint must be an http(s) URL');
      }
      spec.endpoint = value;
    } else if (key === 'region') {
      if (!/^[a-z0-9-]+$/.test(value)) throw new StorageUrlError(text, `"${value}" is not a region`);
      spec.region = value;
    } else if (key === 'forcePathStyle') {
      if (value !== 'true' && value !== 'false')
        throw new StorageUrlError(text, 'forcePathStyle must be true or false');
      spec.forcePathStyle = value === 'true';
    } else {
      throw new StorageUrlError(text, `unknown parameter "${key}" (known: endpoint, region, forcePathStyle)`);
    }
  }
  return spec;
}
