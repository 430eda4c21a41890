/**
 * Files the guide's snippets need and the guide leaves to the reader: the `Database` its custom storage
 * talks to (rows in a JSON file, so a second run sees the first run's rows), and a recording `docker`.
 */

/** `fixtures/database.ts`: `Database` with the calls the guide's DatabaseStorage makes; `myDb`, `myDatabase`. */
export const DATABASE_FIXTURE = `import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export interface SessionRow { id: string; data: string; updated: Date }
type StoredRow = { id: string; data: string; updated: string };

const FILE = 'guide-db.json';
const read = (): Record<string, StoredRow> => (existsSync(FILE) ? JSON.parse(readFileSync(FILE, 'utf8')) : {});
const revive = (row: StoredRow): SessionRow => ({ ...row, updated: new Date(row.updated) });

/** A table of sessions, the shape the guide's DatabaseStorage calls (upsert, findUnique, findMany). */
export class Database {
  readonly sessions = {
    async upsert(row: SessionRow): Promise<void> {
      const rows = read();
      rows[row.id] = { ...row, updated: row.updated.toISOString() };
      writeFileSync(FILE, JSON.stringify(rows, null, 2));
    },
    async findUnique(query: { where: { id: string } }): Promise<SessionRow | null> {
      const row = read()[query.where.id];
      return row === undefined ? null : revive(row);
    },
    async findMany(query: { orderBy: { updated: 'asc' | 'desc' } }): Promise<SessionRow[]> {
      const sign = query.orderBy.updated === 'desc' ? -1 : 1;
      return Object.values(read())
        .map(revive)
        .sort((a, b) => sign * (a.updated.getTime() - b.updated.getTime()));
    },
  };
}

export const myDb = new Database();
export const myDatabase = myDb;
`;
