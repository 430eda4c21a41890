/**
 * The words function of the search indexes (migration 20261205000000_channelcoder_search_fast) skips the
 * JSON walk for documents without a backslash. Its words must equal those of the full walk for every
 * document, or the GIN indexes built before that migration would disagree with it: checked here against
 * the full walk (the function as the 20261204000000 migration defined it) on awkward documents.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { postgresDatabase, type TestDatabase } from './support/databases.js';

let db: TestDatabase;

beforeAll(async () => {
  db = await postgresDatabase(inject('databaseUrl'));
  await db.prisma.$executeRawUnsafe(`CREATE FUNCTION "${db.schema}"."full_walk_words"("document" TEXT) RETURNS tsvector
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE "strings" TEXT;
BEGIN
  BEGIN
    SELECT string_agg("value" #>> '{}', ' ') INTO "strings"
      FROM jsonb_path_query("document"::jsonb, 'strict $.** ? (@.type() == "string")') AS "value";
  EXCEPTION WHEN invalid_text_representation OR untranslatable_character THEN
    "strings" := NULL;
  END;
  RETURN to_tsvector('simple'::regconfig, regexp_replace("document" || ' ' || coalesce("strings", ''), '[^[:alnum:]]+', ' ', 'g'));
END
$$`);
});

afterAll(async () => {
  await db?.destroy();
});

const DOCUMENTS: string[] = [
  JSON.stringify({
    type: 'user',
    uuid: 'u-1',
    message: { content: [{ type: 'text', text: 'Fix the build' }] },
  }),
  JSON.stringify({ text: 'line one\nline two\ttabbed "quoted" back\\slash', cwd: '/srv/app' }),
  JSON.stringify({ text: 'café naïve Ünïcode 日本語 emoji 🙂 mixed123abc', n: 1.5e21, ok: true, none: null }),
  JSON.stringify({ deep: [[[{ a: [{ b: 'nested words' }] }]]], 'key with spaces': 'value', 'k\ney': 'v' }),
  JSON.stringify({ control: '\u0001\u001b[31mred\u001b[0m', nul: 'x\u0000y' }),
  '{"escaped":"\\u00e9t\\u00e9 caf\\u00e9","plain":"word"}',
  '{"surrogate":"\\ud83d\\ude42 smile"}',
  'not json at all: words and-more_words',
  'not json with a backslash \\n here',
  '{"truncated": "half a document',
  '"a bare string"',
  '12345',
  '[]',
  '',
];

describe('channelcoder_search_words', () => {
  it('gives the words of the full JSON walk for every document', async () => {
    const q = `"${db.schema}".`;
    for (const document of DOCUMENTS) {
      const [row] = await db.prisma.$queryRawUnsafe<Array<{ fast: string[]; full: string[] }>>(
        `SELECT tsvector_to_array(${q}channelcoder_search_words($1::text)) AS "fast",
                tsvector_to_array(${q}full_walk_words($1::text)) AS "full"`,
        document,
      );
      expect(row!.fast, document).toEqual(row!.full);
    }
  });

  it('takes the fast path only without a backslash (a document with an escape still finds its words)', async () => {
    const q = `"${db.schema}".`;
    const [row] = await db.prisma.$queryRawUnsafe<Array<{ words: string[] }>>(
      `SELECT tsvector_to_array(${q}channelcoder_search_words($1::text)) AS "words"`,
      JSON.stringify({ text: 'first\nsecond' }),
    );
    // "second" comes from the string value; the text alone has only "nsecond".
    expect(row!.words).toEqual(expect.arrayContaining(['first', 'second', 'nsecond', 'text']));
  });
});
