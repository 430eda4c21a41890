/** Bearer-token authentication: tokens from a file or the environment, compared in constant time. */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { InvalidArgumentError } from '@channelcoder/session-core';
import { ServiceError } from './errors.js';

/** Tokens shorter than this are refused: they could be guessed. */
export const MIN_TOKEN_LENGTH = 16;

/**
 * Reads tokens from a file: one per line; blank lines and lines starting with `#` are skipped.
 * @throws InvalidArgumentError when the file cannot be read, holds no token, or a token is too short.
 */
export async function readTokenFile(file: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new InvalidArgumentError(`Cannot read the token file ${file}: ${(err as Error).message}`);
  }
  const tokens = parseTokens(text.split(/\r?\n/));
  if (tokens.length === 0)
    throw new InvalidArgumentError(`The token file ${file} holds no token (one per line, # for comments).`);
  return tokens;
}

/** Tokens from `CHANNELCODER_SERVER_TOKENS` (comma- or newline-separated); empty when unset. */
export function tokensFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  const value = env.CHANNELCODER_SERVER_TOKENS;
  return value === undefined ? [] : parseTokens(value.split(/[,\n]/));
}

function parseTokens(lines: string[]): string[] {
  const tokens = lines.map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  for (const token of tokens) {
    if (token.length < MIN_TOKEN_LENGTH)
      throw new InvalidArgumentError(
        `A server token is ${token.length} characters long; use at least ${MIN_TOKEN_LENGTH} random characters ` +
          '(for example `openssl rand -hex 32`).',
      );
  }
  return tokens;
}

/**
 * Checks `Authorization: Bearer <token>` against the configured tokens. Every token is compared (no early
 * exit), each as a SHA-256 digest with `timingSafeEqual`, so neither the position of a matching token nor
 * the length of a guess shows in the time taken.
 */
export function createTokenCheck(tokens: readonly string[]): (authorization: string | undefined) => void {
  const digests = tokens.map(digest);
  return (authorization) => {
    const match = authorization === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match === null)
      throw new ServiceError(
        'UNAUTHORIZED',
        401,
        'This server requires a bearer token: send "Authorization: Bearer <token>".',
      );
    const given = digest(match[1] as string);
    let ok = false;
    for (const d of digests) ok = timingSafeEqual(d, given) || ok;
    if (!ok) throw new ServiceError('UNAUTHORIZED', 401, 'The bearer token is not one this server accepts.');
  };
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
