/** Hash routes: `#/` sessions, `#/s/<name>` a conversation, `#/cost` the cost chart. */
import { useEffect, useState } from 'preact/hooks';

export type Route = { page: 'sessions' } | { page: 'conversation'; name: string } | { page: 'cost' };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '');
  const conversation = /^\/s\/([^/?]+)/.exec(path);
  if (conversation) return { page: 'conversation', name: decodeURIComponent(conversation[1] as string) };
  if (path.startsWith('/cost')) return { page: 'cost' };
  return { page: 'sessions' };
}

export const conversationHref = (name: string) => `#/s/${encodeURIComponent(name)}`;

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
