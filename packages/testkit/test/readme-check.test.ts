/** The README check refuses what it cannot vouch for: unmarked blocks, reasonless markers, drifted code. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { readmeBlocks, readmeCheck } from '../src/index.js';

// Inside the workspace: the check resolves packages and scripts from it.
const dir = mkdtempSync(join(import.meta.dirname, '..', '.readme-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function checkOf(markdown: string) {
  const file = join(dir, `R${Math.random().toString(36).slice(2)}.md`);
  writeFileSync(file, markdown);
  return readmeCheck(file);
}
const fence = '```';

it('reads blocks with their language, line and the markers right above them', () => {
  const blocks = readmeBlocks(
    `# t\n\n<!-- not run: needs a terminal -->\n<!-- biome-ignore format: x -->\n${fence}bash\nls\n${fence}\n\n  ${fence}ts\n  const a = 1;\n  ${fence}\n`,
  );
  expect(blocks).toEqual([
    { line: 5, lang: 'bash', code: 'ls', notRun: 'needs a terminal' },
    { line: 9, lang: 'ts', code: 'const a = 1;' },
  ]);
});

it('fails a block that can neither run nor be checked and has no marker', async () => {
  const check = checkOf(
    `${fence}markdown\n---\nx: 1\n---\n${fence}\n\n${fence}bash\nkubectl apply -f x.yaml\n${fence}\n`,
  );
  await expect(check.blocks[0]!.run()).rejects.toThrow(/not run: <reason>/);
  await expect(check.blocks[1]!.run()).rejects.toThrow(/cannot run or check `kubectl apply -f x.yaml`/);
});

it('skips a block marked not run with its reason, and fails a marker without one', async () => {
  const check = checkOf(
    `<!-- not run: a service -->\n${fence}sh\nx\n${fence}\n\n<!-- not run: -->\n${fence}sh\ny\n${fence}\n`,
  );
  expect(check.blocks[0]!.skip).toBe('a service');
  expect(check.blocks[1]!.skip).toBeUndefined();
  await expect(check.blocks[1]!.run()).rejects.toThrow(/needs its reason/);
});

it('checks installs, scripts, files and JSON against the workspace', async () => {
  const check = checkOf(
    `${fence}bash\nnpm install @channelcoder/session-core @channelcoder/storage-fiel\n${fence}\n\n` +
      `${fence}bash\npnpm no-such-script\n${fence}\n\n${fence}bash\npnpm build && bash scripts/test.sh\n${fence}\n\n` +
      `${fence}json\n"lease": { "token": 7 }\n${fence}\n\n${fence}json\n{ nope\n${fence}\n`,
  );
  await expect(check.blocks[0]!.run()).rejects.toThrow(
    /installs @channelcoder\/storage-fiel, which no workspace/,
  );
  await expect(check.blocks[1]!.run()).rejects.toThrow(/no script "no-such-script"/);
  await check.blocks[2]!.run();
  await check.blocks[3]!.run();
  await expect(check.blocks[4]!.run()).rejects.toThrow(/is not JSON/);
});

it('fails an example block that is not a run of its file, and TypeScript that does not compile', async () => {
  writeFileSync(join(dir, 'shown.ts'), 'export const a = 1;\nexport const b = 2;\n');
  const check = checkOf(
    `<!-- example: shown.ts -->\n${fence}ts\nexport const b = 3;\n${fence}\n\n${fence}ts\nconst n: number = 'text';\n${fence}\n`,
  );
  await expect(check.blocks[0]!.run()).rejects.toThrow(/is not .*shown\.ts/);
  await expect(check.blocks[1]!.run()).rejects.toThrow(
    /does not compile:\nREADME line 7: Type 'string' is not assignable/,
  );
  await check.close();
}, 180_000);
