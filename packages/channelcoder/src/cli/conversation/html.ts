/**
 * The conversation as one self-contained HTML page (`session export NAME --format html`): inline styles,
 * no scripts, no external resources (a Content-Security-Policy forbids them), and every piece of message
 * content escaped, so a message containing markup is shown as text, never rendered.
 */
import type { ConversationItem } from '@channelcoder/session-core';
import { formatCost } from '../output/format.js';
import { inputJson, type LoadedConversation, truncated } from './load.js';

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const STYLE = `
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1d1d1f;background:#fff}
header{border-bottom:1px solid #ddd;margin-bottom:1rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dt{color:#555}dd{margin:0}
.item{border:1px solid #e3e3e3;border-radius:6px;margin:.8rem 0;padding:.5rem .8rem}
.item h2{font-size:.85rem;margin:0 0 .3rem;text-transform:uppercase;letter-spacing:.04em;color:#555}
.prompt{background:#f3f8ff}.answer{background:#f6fff4}.thinking{background:#fafafa;color:#666}
.tool_call,.tool_result{background:#fffaf0}.error{background:#fff0f0}
pre{white-space:pre-wrap;word-break:break-word;margin:0;font:13px/1.4 ui-monospace,monospace}
.text{white-space:pre-wrap;word-break:break-word}
time{color:#888;font-size:.8rem;margin-left:.5rem}`;

export function conversationHtml(loaded: LoadedConversation, limit: number | undefined): string {
  const { state, name } = loaded;
  const m = state.metadata;
  const facts: Array<[string, string]> = [
    ['Created', m.created.toISOString()],
    ['Last active', m.lastActive.toISOString()],
    ['Turns', String(state.usage.turns)],
    ['Cost', formatCost(state.usage.totalCostUsd)],
  ];
  if (m.cwd !== undefined) facts.push(['Working directory', m.cwd]);
  const dl = facts.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('');
  const items = loaded.items.map((item) => itemHtml(item, limit)).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Session ${escapeHtml(name)}</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>Session ${escapeHtml(name)}</h1><dl>${dl}</dl></header>
<main>
${items}
</main>
</body>
</html>
`;
}

function itemHtml(item: ConversationItem, limit: number | undefined): string {
  const when = item.timestamp === undefined ? '' : `<time>${escapeHtml(item.timestamp)}</time>`;
  const box = (cls: string, title: string, body: string) =>
    `<section class="item ${cls}"><h2>${escapeHtml(title)}${when}</h2>${body}</section>`;
  switch (item.kind) {
    case 'prompt':
      return box('prompt', 'User', `<div class="text">${escapeHtml(item.text)}</div>`);
    case 'answer':
      return box('answer', 'Assistant', `<div class="text">${escapeHtml(item.text)}</div>`);
    case 'thinking':
      return box('thinking', 'Thinking', `<div class="text">${escapeHtml(item.text)}</div>`);
    case 'tool_call':
      return box('tool_call', `Tool call: ${item.name}`, `<pre>${escapeHtml(inputJson(item.input))}</pre>`);
    case 'tool_result':
      return box(
        item.isError ? 'tool_result error' : 'tool_result',
        item.isError ? 'Tool error' : 'Tool result',
        `<pre>${escapeHtml(truncated(item.text, limit))}</pre>`,
      );
  }
}
