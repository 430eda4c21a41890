/**
 * The Session Management Guide (the seed document `001_…` the product is specified from), read at test
 * time: its code blocks, each under the heading it belongs to. Nothing of the guide is copied into the
 * repository; the test runs whatever the document says.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface GuideBlock {
  /** Unique, readable: the nearest heading, prefixed with its `##` section when the heading repeats. */
  id: string;
  /** Fence language (`typescript`, `bash`, `yaml`, `json`). */
  lang: string;
  /** The code, with the fence's own indentation removed. */
  code: string;
  /** 1-based line of the opening fence in the guide. */
  line: number;
}

/**
 * The guide's path: `CHANNELCODER_GUIDE` when set, else `shared/seeds/001_*` in a folder above the
 * workspace (the repository sits beside `shared/`).
 * @throws when it cannot be found (the test must not pass without the guide).
 */
export function findGuide(workspaceRoot: string): string {
  const given = process.env.CHANNELCODER_GUIDE;
  if (given !== undefined && given !== '') return given;
  for (let dir = workspaceRoot; ; dir = dirname(dir)) {
    const seeds = join(dir, 'shared', 'seeds');
    if (existsSync(seeds)) {
      const file = readdirSync(seeds).find((f) => f.startsWith('001_'));
      if (file !== undefined) return join(seeds, file);
    }
    if (dirname(dir) === dir) break;
  }
  throw new Error(
    `The session guide (shared/seeds/001_*) was not found above ${workspaceRoot}; set CHANNELCODER_GUIDE to its path.`,
  );
}

const HEADING = /^(#{2,4})\s+(.+?)\s*$/;
const FENCE = /^(\s*)```(\w*)\s*$/;

/** Every fenced code block of the guide, in document order. */
export function guideBlocks(path: string): GuideBlock[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  const blocks: Array<Omit<GuideBlock, 'id'> & { h2: string; heading: string }> = [];
  let h2 = '';
  let heading = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const h = HEADING.exec(line);
    if (h) {
      if (h[1] === '##') h2 = h[2] ?? '';
      heading = h[2] ?? '';
      continue;
    }
    const open = FENCE.exec(line);
    if (!open || open[2] === '') continue;
    const indent = open[1] ?? '';
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !/^\s*```\s*$/.test(lines[j] ?? ''); j++) {
      const text = lines[j] ?? '';
      body.push(text.startsWith(indent) ? text.slice(indent.length) : text.trimStart());
    }
    blocks.push({ lang: open[2] ?? '', code: `${body.join('\n')}\n`, line: i + 1, h2, heading });
    i = j;
  }
  const headingCount = new Map<string, Set<string>>();
  for (const b of blocks) headingCount.set(b.heading, (headingCount.get(b.heading) ?? new Set()).add(b.h2));
  const seen = new Map<string, number>();
  return blocks.map(({ h2: section, heading: nearest, ...block }) => {
    const base =
      (headingCount.get(nearest)?.size ?? 0) > 1 && nearest !== section ? `${section} › ${nearest}` : nearest;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    const total = blocks.filter((b) => b.heading === nearest && b.h2 === section).length;
    return { ...block, id: total > 1 ? `${base} #${n}` : base };
  });
}
