/** One session: its turns (Markdown), tool calls and results, per-turn cost and duration, forks, continue. */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { getJson, sessionPath } from '../api';
import { ContinueBox } from '../components/ContinueBox';
import { Markdown } from '../components/Markdown';
import { formatCost, formatCount, formatDuration, formatWhen } from '../format';
import { conversationHref } from '../router';
import type { Conversation, SessionSummary, Turn, TurnStep } from '../types';

function Step({ step }: { step: TurnStep }) {
  if (step.kind === 'thinking')
    return (
      <details class="step thinking">
        <summary>Thinking</summary>
        <pre>{step.text}</pre>
      </details>
    );
  const failed = step.result?.isError === true;
  return (
    <details class={`step tool${failed ? ' failed' : ''}`} data-testid="tool-call">
      <summary>
        Tool call: <code>{step.name}</code>
        {failed && <span class="badge failed">error</span>}
        {step.result === undefined && <span class="badge">no result</span>}
      </summary>
      <h4>Input</h4>
      <pre class="tool-input">{JSON.stringify(step.input, null, 2)}</pre>
      {step.result !== undefined && (
        <>
          <h4>Result</h4>
          <pre class="tool-result">{step.result.text}</pre>
        </>
      )}
    </details>
  );
}

function TurnBlock({ turn, index }: { turn: Turn; index: number }) {
  return (
    <article
      class={`turn ${turn.status}${turn.inherited ? ' inherited' : ''}`}
      aria-labelledby={`turn-${index}`}
      data-testid="turn"
      data-status={turn.status}
    >
      <header>
        <h3 id={`turn-${index}`}>
          Turn {index + 1}
          {turn.status !== 'completed' && <span class={`badge ${turn.status}`}>{turn.status}</span>}
          {turn.inherited && <span class="badge">from the parent</span>}
        </h3>
        <p class="meta">
          <time dateTime={turn.at}>{formatWhen(turn.at)}</time>
          {turn.costUsd !== undefined && <span>cost {formatCost(turn.costUsd)}</span>}
          {turn.costUnknown === true && <span>cost unknown</span>}
          {turn.durationMs !== undefined && <span>took {formatDuration(turn.durationMs)}</span>}
          {turn.inputTokens !== undefined && (
            <span>
              {formatCount(turn.inputTokens)} in / {formatCount(turn.outputTokens ?? 0)} out tokens
            </span>
          )}
        </p>
      </header>
      <div class="prompt">
        <h4 class="who">Prompt</h4>
        <Markdown text={turn.prompt} />
      </div>
      {turn.steps.map((step, i) => (
        <Step key={step.kind === 'tool' ? step.id || `tool-${i}` : `thinking-${i}`} step={step} />
      ))}
      {turn.error !== undefined && (
        <p class="error" data-testid="turn-error">
          {turn.error}
        </p>
      )}
      {turn.answer !== undefined && (
        <div class="answer">
          <h4 class="who">Answer</h4>
          <Markdown text={turn.answer} />
        </div>
      )}
    </article>
  );
}

export function ConversationPage({ name }: { name: string }) {
  const [data, setData] = useState<Conversation | null>(null);
  const [forks, setForks] = useState<SessionSummary[]>([]);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(() => {
    getJson<Conversation>(`${sessionPath(name)}/conversation`).then(setData, (err: Error) =>
      setError(err.message),
    );
  }, [name]);

  useEffect(() => {
    setData(null);
    setError(null);
    setForks([]);
    load();
    getJson<{ forks: SessionSummary[] }>(`${sessionPath(name)}/forks`).then(
      (r) => setForks(r.forks),
      () => setForks([]),
    );
  }, [name, load]);

  useEffect(() => {
    if (data !== null) document.title = `${data.session.name} · ChannelCoder sessions`;
  }, [data]);

  if (error !== null)
    return (
      <section>
        <h1>{name}</h1>
        <p class="error" role="alert">
          {error}
        </p>
      </section>
    );
  if (data === null) return <p aria-live="polite">Loading…</p>;
  const { session, turns } = data;
  const missing = Object.entries(data.transcripts).filter(([, where]) => where === 'missing');
  return (
    <section aria-labelledby="conversation-title">
      <h1 id="conversation-title">{session.name}</h1>
      <dl class="facts">
        <div>
          <dt>Status</dt>
          <dd>
            <span class={`status ${session.metadata.status}`}>{session.metadata.status}</span>
          </dd>
        </div>
        <div>
          <dt>Messages</dt>
          <dd data-testid="message-count">{session.metadata.messageCount}</dd>
        </div>
        <div>
          <dt>Turns</dt>
          <dd>
            {session.stats.totalTasks}
            {session.stats.failedTasks > 0 ? ` (${session.stats.failedTasks} failed)` : ''}
          </dd>
        </div>
        <div>
          <dt>Cost</dt>
          <dd>{formatCost(session.stats.costUsd)}</dd>
        </div>
        <div>
          <dt>Last active</dt>
          <dd>{formatWhen(session.metadata.lastActive)}</dd>
        </div>
        {session.metadata.tags.length > 0 && (
          <div>
            <dt>Tags</dt>
            <dd>
              {session.metadata.tags.map((t) => (
                <span class="tag" key={t}>
                  {t}
                </span>
              ))}
            </dd>
          </div>
        )}
      </dl>
      <nav class="forks" aria-label="Fork tree">
        {session.metadata.parent !== undefined && (
          <p>
            Forked from{' '}
            <a href={conversationHref(session.metadata.parent.name)} data-testid="parent-link">
              {session.metadata.parent.name}
            </a>{' '}
            after {session.metadata.parent.messageCount} messages.
          </p>
        )}
        {forks.length > 0 && (
          <p>
            Forks:{' '}
            {forks.map((f, i) => (
              <span key={f.name}>
                {i > 0 && ', '}
                <a href={conversationHref(f.name)} data-testid="fork-link">
                  {f.name}
                </a>
              </span>
            ))}
          </p>
        )}
      </nav>
      {data.transcriptError !== undefined && (
        <p class="warn" role="note">
          The Claude transcript could not be mirrored into the storage: {data.transcriptError}
        </p>
      )}
      {missing.length > 0 && turns.length > 0 && (
        <p class="note">
          Tool calls are not shown for turns whose Claude transcript is neither stored nor on this server.
        </p>
      )}
      {turns.length === 0 && <p>No turns yet.</p>}
      {turns.map((turn, i) => (
        <TurnBlock key={turn.id} turn={turn} index={i} />
      ))}
      <ContinueBox session={session} onDone={load} />
    </section>
  );
}
