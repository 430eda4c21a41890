/**
 * A TypeScript block of the guide as the programs a user would make of it: one program per block, split
 * only where the block declares the same top-level `const` twice (the guide's "// Day 2" style of showing
 * alternatives and later days). The block's own imports go to every part; `channelcoder` names it uses
 * without importing them get the import a user's file would have at its top.
 */
import type { GuideBlock } from './seed.js';

export interface GuideProgram {
  /** `<block id>` or `<block id> — <part label>` when the block was split. */
  label: string;
  /** File-system friendly name (for the `.ts` file). */
  file: string;
  /** The program's own lines from the guide (imports included). */
  code: string;
}

const DECLARATION = /^(?:const|let)\s+([A-Za-z_$][\w$]*)\s*=/;
const CHANNELCODER_NAMES = ['session', 'FileSessionStorage'] as const;
const CHANNELCODER_TYPES = ['SessionStorage', 'SessionState', 'SessionInfo'] as const;

export function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

/** Splits a block's code at a repeated top-level declaration (see {@link GuideProgram}). */
export function splitParts(code: string): string[] {
  const lines = code.replace(/\n$/, '').split('\n');
  const imports = lines.filter((l) => /^import\s/.test(l));
  const body = lines.filter((l) => !/^import\s/.test(l));
  const parts: string[][] = [[]];
  let declared = new Set<string>();
  for (const line of body) {
    const name = DECLARATION.exec(line)?.[1];
    const current = parts.at(-1) as string[];
    if (name !== undefined && declared.has(name)) {
      // The new part starts with the paragraph (blank-line separated) holding the repeated declaration:
      // its comment and the declarations it needs (`const storage = …; const s = session({ storage })`).
      let keep = current.length;
      while (keep > 0 && (current[keep - 1] ?? '').trim() !== '') keep--;
      const moved = current.splice(keep);
      parts.push(moved);
      declared = new Set(moved.map((l) => DECLARATION.exec(l)?.[1]).filter((n) => n !== undefined));
    }
    if (name !== undefined) declared.add(name);
    (parts.at(-1) as string[]).push(line);
  }
  return parts.map((part) => [...imports, ...trimBlank(part)].join('\n'));
}

function trimBlank(lines: string[]): string[] {
  let start = 0;
  let end = lines.length;
  while (start < end && (lines[start] ?? '').trim() === '') start++;
  while (end > start && (lines[end - 1] ?? '').trim() === '') end--;
  return lines.slice(start, end);
}

/** The label of a part: its first comment line, else `part N`. */
function partLabel(code: string, index: number): string {
  const comment = code
    .split('\n')
    .find((l) => /^\s*\/\/\s*\S/.test(l))
    ?.replace(/^\s*\/\/\s*/, '')
    .replace(/\s+$/, '');
  return comment ? `part ${index + 1} (${comment})` : `part ${index + 1}`;
}

export function programsOf(block: GuideBlock): GuideProgram[] {
  const parts = splitParts(block.code);
  return parts.map((code, index) => {
    const label = parts.length === 1 ? block.id : `${block.id} — ${partLabel(code, index)}`;
    return {
      label,
      file: parts.length === 1 ? slug(block.id) : `${slug(block.id)}--${index + 1}`,
      code,
    };
  });
}

/** The `import … from 'channelcoder'` lines for the names (and types) the code uses without importing them. */
export function missingImports(code: string): string {
  const imported = new Set<string>();
  for (const m of code.matchAll(/^import\s+(?:type\s+)?\{([^}]*)\}\s+from\s+'channelcoder'/gm)) {
    for (const name of (m[1] ?? '').split(',')) imported.add(name.trim().replace(/^type\s+/, ''));
  }
  const used = CHANNELCODER_NAMES.filter(
    (name) => !imported.has(name) && new RegExp(`\\b${name}\\s*[.(]|new\\s+${name}\\b`).test(code),
  );
  const types = CHANNELCODER_TYPES.filter(
    (name) => !imported.has(name) && new RegExp(`\\b${name}\\b`).test(code),
  );
  return [
    used.length === 0 ? '' : `import { ${used.join(', ')} } from 'channelcoder';\n`,
    types.length === 0 ? '' : `import type { ${types.join(', ')} } from 'channelcoder';\n`,
  ].join('');
}

/** True when the program runs no turn of its own (it only creates a session). */
export function runsNoTurn(code: string): boolean {
  return !/\.(claude|stream|interactive|run|detached)\(/.test(code);
}

/** The session variable a program creates last (`const s = session(…)` / `await session.load(…)`). */
export function createdSession(code: string): string | undefined {
  const names = [...code.matchAll(/^const\s+(\w+)\s*=\s*(?:await\s+)?session(?:\.load)?\(/gm)].map(
    (m) => m[1],
  );
  return names.at(-1);
}
