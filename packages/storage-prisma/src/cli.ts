/** The `channelcoder-prisma` command line, as a function (the bin in bin.ts only wires it to the process). */
import { parseArgs } from 'node:util';
import { migrate } from './migrate-url.js';

export const USAGE = `Usage: channelcoder-prisma migrate --url <database-url> [--schema <postgres-schema>]

Creates the ChannelCoder session tables (SQL migrations in Prisma's layout) and records them in
_prisma_migrations, so \`prisma migrate deploy\` sees them as applied. Safe to run again.
  --url      postgresql://user@host:5432/db[?schema=name] or file:./dev.db (SQLite); default $DATABASE_URL
  --schema   PostgreSQL schema to create the tables in (default: the connection's search_path)`;

export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  env: Record<string, string | undefined>;
}

/** Runs the command line and resolves to the exit code. */
export async function runCli(argv: readonly string[], io: CliIO): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    io.err(`${(err as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(`${USAGE}\n`);
    return 0;
  }
  if (positionals[0] !== 'migrate' || positionals.length > 1) {
    io.err(`${USAGE}\n`);
    return 2;
  }
  const url = values.url ?? io.env.DATABASE_URL;
  if (!url) {
    io.err(`Missing --url (or DATABASE_URL).\n\n${USAGE}\n`);
    return 2;
  }
  try {
    const result = await migrate({ url, ...(values.schema === undefined ? {} : { schema: values.schema }) });
    for (const name of result.applied) io.out(`applied  ${name}\n`);
    for (const name of result.alreadyApplied) io.out(`present  ${name}\n`);
    io.out(
      `${result.provider}: ${result.applied.length} applied, ${result.alreadyApplied.length} already applied\n`,
    );
    return 0;
  } catch (err) {
    io.err(`channelcoder-prisma: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: { url: { type: 'string' }, schema: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
}
