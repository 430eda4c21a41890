/** Calls to the session service with the tab's bearer token; failures as `ApiError` with the problem's detail. */
import { currentToken } from './auth';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function authHeaders(extra: Record<string, string> = {}): Record<string, string> {
  const token = currentToken();
  return token === null ? extra : { ...extra, authorization: `Bearer ${token}` };
}

export async function failureOf(response: Response): Promise<ApiError> {
  let code = 'HTTP_ERROR';
  let detail = `${response.status} ${response.statusText}`;
  try {
    const problem = (await response.json()) as { code?: string; detail?: string };
    if (typeof problem.code === 'string') code = problem.code;
    if (typeof problem.detail === 'string') detail = problem.detail;
  } catch {
    // Not a problem document: the status line says what happened.
  }
  return new ApiError(response.status, code, detail);
}

export async function getJson<T>(path: string, query: Record<string, string | undefined> = {}): Promise<T> {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') params.set(k, v);
  const qs = params.toString();
  const response = await fetch(qs === '' ? path : `${path}?${qs}`, { headers: authHeaders() });
  if (!response.ok) throw await failureOf(response);
  return (await response.json()) as T;
}

export const sessionPath = (name: string) => `/sessions/${encodeURIComponent(name)}`;
