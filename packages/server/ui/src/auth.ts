/**
 * The bearer token: taken once from the address's fragment (`#token=…`, which browsers never send to a
 * server), kept in this tab's sessionStorage, and removed from the address bar and history.
 */
const KEY = 'channelcoder.token';

export function adoptTokenFromFragment(): void {
  const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (match === null) return;
  sessionStorage.setItem(KEY, decodeURIComponent(match[1] as string));
  history.replaceState(null, '', `${location.pathname}${location.search}#/`);
}

export function currentToken(): string | null {
  return sessionStorage.getItem(KEY);
}

export function setToken(token: string): void {
  sessionStorage.setItem(KEY, token);
}
