/** The README's TypeScript snippets are copies of files under examples/, which examples.test.ts runs. */
import { readdir, readFile } from 'node:fs/promises';
import { expect, it } from 'vitest';

const trimmedLines = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .join('\n');

it('every ts code block of the README appears verbatim in an example file', async () => {
  const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => trimmedLines(m[1] ?? ''));
  const dir = new URL('../examples/', import.meta.url);
  const examples = await Promise.all(
    (await readdir(dir)).map(async (f) => trimmedLines(await readFile(new URL(f, dir), 'utf8'))),
  );
  expect(blocks.length).toBeGreaterThanOrEqual(4);
  for (const block of blocks)
    expect(
      examples.some((e) => e.includes(block)),
      block,
    ).toBe(true);
});
