/**
 * Errors of the session service and how every error becomes an `application/problem+json` answer (RFC 9457)
 * carrying the ChannelCoder `code`.
 */
import { ChannelCoderError, type ChannelCoderErrorCode } from '@channelcoder/session-core';

/** An error the service answers with; `status` is its HTTP status. */
export class ServiceError extends ChannelCoderError {
  readonly status: number;
  /** The request field at fault (`body.prompt`, `query.limit`), when one is. */
  readonly field?: string;
  constructor(code: ChannelCoderErrorCode, status: number, message: string, options?: { field?: string }) {
    super(code, message);
    this.status = status;
    if (options?.field !== undefined) this.field = options.field;
  }
  static override is(err: unknown): err is ServiceError {
    return ChannelCoderError.is(err) && typeof (err as { status?: unknown }).status === 'number';
  }
}

/** The session was ended (`POST /sessions/{name}/end`): it takes no more tasks. */
export class SessionEndedError extends ServiceError {
  readonly sessionName: string;
  constructor(sessionName: string, endedAt: string) {
    super(
      'SESSION_ENDED',
      409,
      `Session "${sessionName}" was ended at ${endedAt} and takes no more tasks. Fork it to continue the ` +
        'conversation under a new name.',
    );
    this.sessionName = sessionName;
  }
}

/** HTTP status for each ChannelCoder code the service can meet. */
const STATUS: Partial<Record<ChannelCoderErrorCode, number>> = {
  SESSION_NOT_FOUND: 404,
  TASK_NOT_FOUND: 404,
  PLAN_NOT_FOUND: 404,
  ROUTE_NOT_FOUND: 404,
  SESSION_CONFLICT: 409,
  SESSION_BUSY: 409,
  SESSION_ENDED: 409,
  LEASE_LOST: 409,
  INVALID_SESSION_NAME: 400,
  INVALID_ARGUMENT: 400,
  UNAUTHORIZED: 401,
  PATH_NOT_ALLOWED: 403,
  PAYLOAD_TOO_LARGE: 413,
  SESSION_CORRUPT: 500,
  UNSUPPORTED_FORMAT: 500,
  CAPABILITY_MISSING: 501,
  STORAGE_UNAVAILABLE: 503,
  SHUTTING_DOWN: 503,
  CLAUDE_NOT_FOUND: 500,
  CLAUDE_RUN_FAILED: 502,
  RESUME_NOT_FOUND: 409,
  TRANSCRIPT_FAILED: 502,
  SESSION_SAVE_FAILED: 500,
};

/** A problem document (RFC 9457) with the ChannelCoder `code` and, for a bad request, the `field`. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  field?: string;
  /** `SESSION_BUSY`: who holds the session and until when. */
  holder?: string;
  expiresAt?: string;
  /** `SESSION_SAVE_FAILED`: the answer of the turn that could not be saved. */
  result?: string;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/** The problem document for any error; unknown errors are 500 `INTERNAL` without their internals. */
export function problemOf(err: unknown): Problem {
  if (ChannelCoderError.is(err)) {
    const status = ServiceError.is(err) ? err.status : (STATUS[err.code] ?? 500);
    const problem: Problem = {
      type: `https://channelcoder.dev/problems/${err.code.toLowerCase().replaceAll('_', '-')}`,
      title: TITLES[status] ?? 'Error',
      status,
      code: err.code,
      detail: err.message,
    };
    const extra = err as { field?: unknown; holder?: unknown; expiresAt?: unknown; result?: unknown };
    if (typeof extra.field === 'string') problem.field = extra.field;
    if (typeof extra.holder === 'string') problem.holder = extra.holder;
    if (extra.expiresAt instanceof Date) problem.expiresAt = extra.expiresAt.toISOString();
    if (err.code === 'SESSION_SAVE_FAILED' && extra.result !== undefined)
      problem.result = String(extra.result);
    return problem;
  }
  return {
    type: 'about:blank',
    title: 'Internal Server Error',
    status: 500,
    code: 'INTERNAL',
    detail: 'The server failed unexpectedly; see its log for the cause.',
  };
}
