/**
 * What TypeScript says about `claude` calls, compiled with the compiler API against the built declarations
 * (`dist/index.d.ts`, as a user gets them): a wrong option key is reported as an unknown property of the
 * options type, never as "No overload matches this call … TemplateStringsArray"; right calls compile.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const ts = require('typescript') as typeof import('typescript');
const dist = fileURLToPath(new URL('../../dist/index.js', import.meta.url));

/** Diagnostics of `code`, by line (1-based) of the fixture. */
function compile(code: string): { line: number; code: number; text: string }[] {
  const dir = mkdtempSync(join(tmpdir(), 'cc-types-'));
  try {
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
    const file = join(dir, 'fixture.ts');
    writeFileSync(file, `import { claude, session } from ${JSON.stringify(dist)};\n${code}`);
    const program = ts.createProgram([file], {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      skipLibCheck: true,
      types: [],
    });
    return ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file?.fileName === file)
      .map((d) => ({
        // 0-based in the file = 1-based in the fixture (the import line comes first).
        line: d.file?.getLineAndCharacterOfPosition(d.start ?? 0).line ?? -1,
        code: d.code,
        text: ts.flattenDiagnosticMessageText(d.messageText, '\n'),
      }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('claude() and session.claude() types', () => {
  it('report a misspelt option as an unknown property, and compile every right form', () => {
    const diagnostics = compile(
      [
        'const s = session();',
        "await s.claude('x', { modle: 'sonnet' });",
        "await claude('x', { maxturns: 2 });",
        "await s.claude('x', { model: 'sonnet', maxTurns: 2, onBusy: 'fail' });",
        "await claude('x', { model: 'sonnet', signal: AbortSignal.timeout(1000) });",
        "await s.claude('x');",
        "const topic = 'generics';",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the fixture's own tagged template
        'const r = await s.claude`Explain ${topic} in ${3} lines`;',
        'const t: string = r.text + (await claude`hi`).text;',
        "const prompt = ['a', 'b'].join(' ');",
        'await s.claude(prompt, { allowedTools: [t] });',
        'await s.run(prompt, { model: 1 });',
      ].join('\n'),
    );
    expect(diagnostics.map((d) => [d.line, d.code])).toEqual([
      [2, 2561],
      [3, 2561],
      [12, 2322],
    ]);
    expect(diagnostics[0]?.text).toMatch(/'modle' does not exist in type 'SessionRunOptions'.*'model'/);
    expect(diagnostics[1]?.text).toMatch(/'maxturns' does not exist in type 'RunOptions'.*'maxTurns'/);
    for (const d of diagnostics) {
      expect(d.text).not.toMatch(/TemplateStringsArray|No overload matches/);
    }
  });
});
