/**
 * Message text as Markdown. Raw HTML in a message is never interpreted (markdown-it with `html: false`
 * escapes it, so `<script>` shows as text), images are not loaded, and the rendered HTML is passed through
 * DOMPurify as a second guard before it reaches the page.
 */
import DOMPurify from 'dompurify';
import MarkdownIt from 'markdown-it';
import { useLayoutEffect, useRef } from 'preact/hooks';

const md = new MarkdownIt({ html: false, linkify: true, breaks: false });
md.disable('image');
// Links open outside the viewer and tell the target nothing.
const defaultLinkOpen =
  md.renderer.rules.link_open ??
  ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
  tokens[idx]?.attrSet('rel', 'noopener noreferrer nofollow');
  tokens[idx]?.attrSet('target', '_blank');
  return defaultLinkOpen(tokens, idx, options, env, self);
};

export function renderMarkdown(text: string): string {
  return DOMPurify.sanitize(md.render(text), {
    FORBID_TAGS: ['img', 'style', 'form', 'input', 'iframe'],
    ADD_ATTR: ['target'],
  });
}

export function Markdown({ text, class: className }: { text: string; class?: string }) {
  const ref = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    if (ref.current !== null) ref.current.innerHTML = renderMarkdown(text);
  }, [text]);
  return <div ref={ref} class={`markdown ${className ?? ''}`} />;
}
