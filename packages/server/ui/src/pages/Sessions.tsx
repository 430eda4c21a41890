/** The sessions list: paged, filtered by tag and name prefix, or searched by a phrase. */
import { useEffect, useState } from 'preact/hooks';
import { getJson } from '../api';
import { formatCost, formatCount, formatWhen } from '../format';
import { conversationHref } from '../router';
import type { SessionSummary, Snippet } from '../types';

const PAGE = 50;

interface Row extends SessionSummary {
  snippets?: Snippet[];
}

function SnippetText({ snippet }: { snippet: Snippet }) {
  const { text, matchStart, matchEnd } = snippet;
  return (
    <span class="snippet">
      <span class="source">{snippet.source}: </span>
      {text.slice(0, matchStart)}
      <mark>{text.slice(matchStart, matchEnd)}</mark>
      {text.slice(matchEnd)}
    </span>
  );
}

export function SessionsPage() {
  const [tag, setTag] = useState('');
  const [prefix, setPrefix] = useState('');
  const [query, setQuery] = useState('');
  const [applied, setApplied] = useState({ tag: '', prefix: '', query: '' });
  const [cursors, setCursors] = useState<Array<string | undefined>>([undefined]);
  const [rows, setRows] = useState<Row[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [knownTags, setKnownTags] = useState<string[]>([]);
  const cursor = cursors.at(-1);

  useEffect(() => {
    let live = true;
    setError(null);
    const load = async () => {
      if (applied.query !== '') {
        const found = await getJson<{ results: Row[] }>('/search', {
          q: applied.query,
          tag: applied.tag,
          prefix: applied.prefix,
          limit: String(PAGE),
        });
        return { rows: found.results, next: null };
      }
      const page = await getJson<{ sessions: Row[]; nextCursor: string | null }>('/sessions', {
        limit: String(PAGE),
        tag: applied.tag,
        prefix: applied.prefix,
        cursor,
      });
      return { rows: page.sessions, next: page.nextCursor };
    };
    load().then(
      (r) => {
        if (!live) return;
        setRows(r.rows);
        setNext(r.next);
        setKnownTags((old) => [...new Set([...old, ...r.rows.flatMap((s) => s.tags)])].sort());
      },
      (err: Error) => live && setError(err.message),
    );
    return () => {
      live = false;
    };
  }, [applied, cursor]);

  const submit = (event: Event) => {
    event.preventDefault();
    setCursors([undefined]);
    setApplied({ tag, prefix: prefix.trim(), query: query.trim() });
  };

  return (
    <section aria-labelledby="sessions-title">
      <h1 id="sessions-title">Sessions</h1>
      <form class="filters" onSubmit={submit} aria-label="Filter and search sessions">
        <label>
          Tag
          <select value={tag} onChange={(e) => setTag((e.target as HTMLSelectElement).value)} name="tag">
            <option value="">All tags</option>
            {knownTags.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </label>
        <label>
          Name starts with
          <input
            name="prefix"
            value={prefix}
            onInput={(e) => setPrefix((e.target as HTMLInputElement).value)}
            autocomplete="off"
          />
        </label>
        <label>
          Search messages
          <input
            type="search"
            name="q"
            value={query}
            onInput={(e) => setQuery((e.target as HTMLInputElement).value)}
            autocomplete="off"
          />
        </label>
        <button type="submit">Apply</button>
      </form>
      {error !== null && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {rows === null && error === null && <p aria-live="polite">Loading…</p>}
      {rows !== null && (
        <>
          <p class="count" aria-live="polite" data-testid="result-count">
            {applied.query !== ''
              ? `${rows.length} session${rows.length === 1 ? '' : 's'} mention “${applied.query}”`
              : `${rows.length} session${rows.length === 1 ? '' : 's'} on this page`}
          </p>
          <div class="table-wrap">
            <table class="sessions" data-testid="sessions">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Last active</th>
                  <th scope="col" class="num">
                    Messages
                  </th>
                  <th scope="col" class="num">
                    Cost
                  </th>
                  <th scope="col">Tags</th>
                  <th scope="col">Status</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((s) => (
                  <tr key={s.name} data-session={s.name}>
                    <th scope="row">
                      <a href={conversationHref(s.name)}>{s.name}</a>
                      {s.snippets?.slice(0, 2).map((snippet) => (
                        <SnippetText key={`${snippet.source}:${snippet.text}`} snippet={snippet} />
                      ))}
                    </th>
                    <td>
                      <time dateTime={s.lastActive}>{formatWhen(s.lastActive)}</time>
                    </td>
                    <td class="num">{formatCount(s.messageCount)}</td>
                    <td class="num">{formatCost(s.costUsd)}</td>
                    <td>
                      {s.tags.map((t) => (
                        <span class="tag" key={t}>
                          {t}
                        </span>
                      ))}
                    </td>
                    <td>
                      <span class={`status ${s.status}`}>{s.status}</span>
                      {s.error !== undefined && <span class="warn">unreadable: {s.error}</span>}
                      {s.transcriptError !== undefined && (
                        <span class="warn" title={s.transcriptError}>
                          transcript not mirrored
                        </span>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <nav class="pager" aria-label="Pages">
            <button
              type="button"
              disabled={cursors.length === 1}
              onClick={() => setCursors((c) => c.slice(0, -1))}
            >
              Previous page
            </button>
            <button
              type="button"
              disabled={next === null}
              onClick={() => next !== null && setCursors((c) => [...c, next])}
            >
              Next page
            </button>
          </nav>
        </>
      )}
    </section>
  );
}
