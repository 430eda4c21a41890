/**
 * Fenced code blocks of a Markdown file, with the HTML comments written right before each one.
 *
 * The markers the README check understands (see README "README code blocks"):
 * - `<!-- not run: <reason> -->`: the block cannot run here; the reason is shown in the test name.
 * - `<!-- example: <path> -->`: the block is the file at `<path>` (relative to the Markdown file), or a run
 *   of its lines; the file is run by a test of its package.
 * Other comments (e.g. `<!-- biome-ignore format: … -->`) may stand between a marker and the fence.
 */

export interface ReadmeBlock {
  /** 1-based line of the opening fence. */
  line: number;
  /** The info string's first word, lower case (`ts`, `bash`, `text`; `''` when absent). */
  lang: string;
  /** The block's content, with the fence's own indentation removed. */
  code: string;
  /** The reason of a `<!-- not run: … -->` marker right before the block. */
  notRun?: string;
  /** The path of an `<!-- example: … -->` marker right before the block. */
  example?: string;
}

const FENCE = /^( {0,3}|\s*)(`{3,}|~{3,})\s*([^\s`]*)[^`]*$/;
const COMMENT = /^\s*<!--([\s\S]*?)-->\s*$/;

/** The fenced blocks of `markdown`, in order. Throws on a fence that is never closed. */
export function readmeBlocks(markdown: string): ReadmeBlock[] {
  const lines = markdown.split('\n');
  const blocks: ReadmeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i] ?? '');
    if (!open) continue;
    const indent = open[1]?.length ?? 0;
    const fence = open[2] ?? '```';
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const text = lines[j] ?? '';
      if (text.trim().startsWith(fence) && text.trim().replace(/[`~]/g, '') === '') break;
      body.push(text.slice(Math.min(indent, text.length - text.trimStart().length)));
    }
    if (j >= lines.length) throw new Error(`line ${i + 1}: the code fence ${fence} is never closed`);
    const block: ReadmeBlock = { line: i + 1, lang: (open[3] ?? '').toLowerCase(), code: body.join('\n') };
    // The comments directly above the fence (blank lines between them allowed).
    for (let k = i - 1; k >= 0; k--) {
      const text = lines[k] ?? '';
      if (text.trim() === '') continue;
      const comment = COMMENT.exec(text);
      if (!comment) break;
      const inner = (comment[1] ?? '').trim();
      const notRun = /^not run:\s*([\s\S]*)$/.exec(inner);
      const example = /^example:\s*(\S+)\s*$/.exec(inner);
      if (notRun) block.notRun = (notRun[1] ?? '').trim();
      if (example) block.example = example[1];
    }
    blocks.push(block);
    i = j;
  }
  return blocks;
}
