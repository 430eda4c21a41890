/**
 * Shell README blocks. Each command is either run (`channelcoder …`, with the built CLI against the mock
 * API) or checked against the workspace (installs name real packages, `pnpm` scripts and `bash`/`node`
 * files exist, `cp node_modules/<pkg>/<path>` copies something the package has). A command that is neither
 * makes the block fail unless it is marked `<!-- not run: … -->`.
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Workspace } from './workspace.js';

export const SHELL_LANGS = new Set(['sh', 'bash', 'shell', 'zsh']);

export type ShellCommand =
  | { kind: 'run'; argv: string[]; text: string }
  | { kind: 'checked'; text: string; problem?: string }
  | { kind: 'unknown'; text: string };

/** The commands of a block: comments dropped, `\` continuations joined, words split like a shell would. */
export function shellCommands(code: string): string[][] {
  const joined = code.replace(/\\\n/g, ' ');
  const commands: string[][] = [];
  for (const line of joined.split('\n')) {
    const words = splitWords(line);
    // `a && b`: each part is a command.
    let current: string[] = [];
    for (const w of words) {
      if (w === '&&' || w === ';') {
        if (current.length) commands.push(current);
        current = [];
      } else current.push(w);
    }
    if (current.length) commands.push(current);
  }
  return commands;
}

function splitWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let started = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quote) {
      if (c === quote) quote = undefined;
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      started = true;
    } else if (c === '#' && !started && (i === 0 || /\s/.test(line[i - 1] ?? ''))) break;
    else if (/\s/.test(c)) {
      if (started) words.push(word);
      word = '';
      started = false;
    } else {
      word += c;
      started = true;
    }
  }
  if (started) words.push(word);
  return words;
}

const INSTALL = /^(npm (install|i|add)|pnpm (add|install|i)|bun (add|install|i)|yarn add)$/;

/** Classifies one command; checked commands carry the problem found, if any. */
export function classifyCommand(argv: string[], workspace: Workspace): ShellCommand {
  const text = argv.join(' ');
  const [cmd, sub] = argv;
  if (cmd === 'channelcoder') return { kind: 'run', argv: argv.slice(1), text };
  if (cmd && sub && INSTALL.test(`${cmd} ${sub}`)) {
    const names = argv.slice(2).filter((a) => !a.startsWith('-'));
    if (names.length === 0) return { kind: 'checked', text }; // install the project's own dependencies
    const known = new Set([
      ...workspace.packages.map((p) => p.name),
      ...workspace.packages.flatMap((p) => p.dependencies),
    ]);
    const unknown = names.map((n) => n.replace(/(.)@[^/]*$/, '$1')).filter((n) => !known.has(n));
    return unknown.length
      ? { kind: 'checked', text, problem: `installs ${unknown.join(', ')}, which no workspace package uses` }
      : { kind: 'checked', text };
  }
  if (cmd === 'pnpm') return checkPnpm(argv, workspace, text);
  if ((cmd === 'bash' || cmd === 'node') && sub && !sub.startsWith('-')) {
    return existsSync(join(workspace.root, sub))
      ? { kind: 'checked', text }
      : { kind: 'checked', text, problem: `${sub} does not exist (from the repository root)` };
  }
  if (cmd === 'cp') {
    const from = argv.slice(1).find((a) => a.startsWith('node_modules/'));
    if (from) return checkCopy(from, workspace, text);
  }
  return { kind: 'unknown', text };
}

function checkPnpm(argv: string[], workspace: Workspace, text: string): ShellCommand {
  let rest = argv.slice(1);
  let scripts = workspace.scripts;
  let where = 'the root package.json';
  if (rest[0] === '--filter' && rest[1]) {
    const pkg = workspace.packages.find((p) => p.name === rest[1]);
    if (!pkg) return { kind: 'checked', text, problem: `no workspace package is named ${rest[1]}` };
    scripts = pkg.scripts;
    where = `${pkg.name}'s package.json`;
    rest = rest.slice(2);
  }
  if (rest[0] === 'run') rest = rest.slice(1);
  const [script] = rest;
  if (script === undefined) return { kind: 'unknown', text };
  if (script === 'install' || script === 'i') return { kind: 'checked', text };
  if (script === 'exec' || script === 'dlx') return { kind: 'unknown', text };
  return script in scripts
    ? { kind: 'checked', text }
    : { kind: 'checked', text, problem: `there is no script "${script}" in ${where}` };
}

function checkCopy(from: string, workspace: Workspace, text: string): ShellCommand {
  const parts = from.split('/').slice(1);
  const name = parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  const pkg = workspace.packages.find((p) => p.name === name);
  if (!pkg) return { kind: 'unknown', text };
  const inside = from.slice(`node_modules/${name}/`.length).replace(/\/$/, '');
  return globExists(pkg.dir, inside)
    ? { kind: 'checked', text }
    : { kind: 'checked', text, problem: `${name} has no ${inside}` };
}

/** Whether `pattern` (with `*` inside the last segment only) names something under `dir`. */
function globExists(dir: string, pattern: string): boolean {
  if (!pattern.includes('*')) return existsSync(join(dir, pattern));
  const folder = join(dir, dirname(pattern));
  const last = pattern.slice(pattern.lastIndexOf('/') + 1);
  const re = new RegExp(`^${last.split('*').map(escapeRegExp).join('.*')}$`);
  return existsSync(folder) && readdirSync(folder).some((f) => re.test(f));
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
