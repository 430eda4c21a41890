/**
 * Continue the conversation: the prompt runs as a task through the service and its answer streams into the
 * page (Server-Sent Events). Disabled, with the reason, when the session is ended, a task is running on this
 * server, or another process (a CLI turn, another replica) holds the session's lease.
 */
import { useState } from 'preact/hooks';
import { authHeaders, failureOf, sessionPath } from '../api';
import { readEvents } from '../sse';
import type { SessionView } from '../types';

export function disabledReason(session: SessionView): string | null {
  if (session.metadata.status === 'ended')
    return `This session was ended${session.metadata.endedAt ? ` at ${session.metadata.endedAt}` : ''}; it takes no more tasks. Fork it to continue.`;
  if (session.running !== null)
    return `A task is running in this session (since ${session.running.startedAt}); wait until it ends.`;
  if (session.busy !== null)
    return `Another process holds this session (${session.busy.holder}: a terminal turn or a task on another server)${session.busy.expiresAt ? ` until at least ${session.busy.expiresAt}` : ''}; reload when it is done.`;
  return null;
}

export function ContinueBox({ session, onDone }: { session: SessionView; onDone: () => void }) {
  const [prompt, setPrompt] = useState('');
  const [answer, setAnswer] = useState('');
  const [tools, setTools] = useState<string[]>([]);
  const [status, setStatus] = useState<'idle' | 'running' | 'done' | 'failed'>('idle');
  const [message, setMessage] = useState<string | null>(null);
  const reason = disabledReason(session);
  const busy = status === 'running';

  const send = async (event: Event) => {
    event.preventDefault();
    if (prompt.trim() === '' || busy || reason !== null) return;
    setStatus('running');
    setAnswer('');
    setTools([]);
    setMessage(null);
    try {
      const response = await fetch(`${sessionPath(session.name)}/tasks`, {
        method: 'POST',
        headers: authHeaders({ 'content-type': 'application/json', accept: 'text/event-stream' }),
        body: JSON.stringify({ prompt, onBusy: 'fail' }),
      });
      if (!response.ok || response.body === null) throw await failureOf(response);
      let failed: string | null = null;
      for await (const { event, data } of readEvents(response.body)) {
        const d = data as Record<string, unknown>;
        if (event === 'text') setAnswer((a) => a + String(d.content ?? ''));
        else if (event === 'tool')
          setTools((t) => [
            ...t,
            d.type === 'tool_use'
              ? `→ ${String(d.name ?? 'tool')}`
              : `← result${d.isError ? ' (error)' : ''}`,
          ]);
        else if (event === 'error') failed = String(d.detail ?? 'The task failed.');
      }
      if (failed !== null) {
        setStatus('failed');
        setMessage(failed);
      } else {
        setStatus('done');
        setPrompt('');
      }
    } catch (err) {
      setStatus('failed');
      setMessage((err as Error).message);
    }
    onDone();
  };

  return (
    <section class="continue" aria-labelledby="continue-title">
      <h2 id="continue-title">Continue</h2>
      {reason !== null && (
        <p class="reason" data-testid="continue-disabled">
          {reason}
        </p>
      )}
      <form onSubmit={send}>
        <label for="prompt">Prompt</label>
        <textarea
          id="prompt"
          rows={3}
          value={prompt}
          disabled={reason !== null || busy}
          onInput={(e) => setPrompt((e.target as HTMLTextAreaElement).value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) send(e);
          }}
        />
        <button type="submit" disabled={reason !== null || busy || prompt.trim() === ''}>
          {busy ? 'Running…' : 'Send (Ctrl+Enter)'}
        </button>
      </form>
      {(status !== 'idle' || answer !== '') && (
        <div class="streamed" aria-live="polite" data-testid="streamed" data-status={status}>
          {tools.length > 0 && <p class="tools">{tools.join('  ')}</p>}
          <pre class="answer-stream">{answer}</pre>
          {message !== null && (
            <p class="error" role="alert">
              {message}
            </p>
          )}
        </div>
      )}
    </section>
  );
}
