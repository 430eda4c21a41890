import {
  type SearchResult,
  type SessionStorage,
  searchByScan,
  searchSessions,
  storageCapabilities,
} from '@channelcoder/session-core';
import { makeMessage, makeState, tick } from '../fixtures.js';
import type { SpecContext } from '../options.js';
import { expect, it } from '../spec-api.js';

const WORD = 'Quetzalcoatl';

/** Three sessions: the word in a stored answer, in a transcript tool result only, and nowhere. */
async function seed(storage: SessionStorage): Promise<{ transcripts: boolean }> {
  const answered = makeState({
    claudeId: 'c-answer',
    messages: 4,
    content: (i) => (i === 3 ? `The ${WORD.toLowerCase()} answer, said once.` : `message ${i}`),
  });
  answered.metadata.tags = ['myth', 'red'];
  answered.metadata.lastActive = tick();
  await storage.save(answered, 'answered');

  const tooled = makeState({ claudeId: 'c-tool', messages: 2, content: (i) => `plain ${i}` });
  tooled.metadata.tags = ['myth'];
  tooled.metadata.lastActive = tick();
  await storage.save(tooled, 'tooled');
  const transcripts = storageCapabilities(storage).transcripts;
  if (transcripts) {
    await storage.appendTranscript?.(
      'tooled',
      'c-tool',
      [
        { type: 'user', uuid: 'u1', message: { role: 'user', content: 'plain 0' } },
        {
          type: 'assistant',
          uuid: 'a1',
          message: {
            role: 'assistant',
            content: [{ type: 'tool_use', id: 't1', name: 'Read', input: { file_path: 'x' } }],
          },
        },
        {
          type: 'user',
          uuid: 'u2',
          message: {
            role: 'user',
            content: [{ type: 'tool_result', tool_use_id: 't1', content: `1\tabout ${WORD} here` }],
          },
        },
        {
          type: 'assistant',
          uuid: 'a2',
          message: { role: 'assistant', content: [{ type: 'text', text: 'plain 1' }] },
        },
      ],
      0,
    );
  }
  const other = makeState({ claudeId: 'c-other', messages: 2, content: (i) => `nothing ${i}` });
  other.metadata.lastActive = tick();
  await storage.save(other, 'other');
  return { transcripts };
}

const names = (results: SearchResult[]) => results.map((r) => r.name);

export function searchSpec<S extends SessionStorage>(ctx: SpecContext<S>): void {
  it('finds a word said only in one answer and one tool result, newest first, with the match marked', async () => {
    const storage = await ctx.fresh();
    const { transcripts } = await seed(storage);
    const results = await searchSessions(storage, WORD.toUpperCase());
    expect(names(results)).toEqual(transcripts ? ['tooled', 'answered'] : ['answered']);
    for (const result of results) {
      expect(result.snippets).toHaveLength(1);
      const [snippet] = result.snippets;
      expect(snippet?.text.slice(snippet.matchStart, snippet.matchEnd).toLowerCase()).toBe(
        WORD.toLowerCase(),
      );
    }
    const answered = results.find((r) => r.name === 'answered');
    expect(answered?.snippets[0]?.source).toBe('answer');
    expect(answered?.messageCount).toBe(4);
    expect(answered?.tags).toEqual(['myth', 'red']);
    if (transcripts) expect(results[0]?.snippets[0]?.source).toBe('tool_result');
  });

  it('the storage own search (when it has one) returns what the scan returns', async () => {
    const storage = await ctx.fresh();
    await seed(storage);
    const native = await searchSessions(storage, WORD);
    const scan = await searchByScan(storage, WORD);
    const shape = (results: SearchResult[]) =>
      results.map((r) => ({ name: r.name, messageCount: r.messageCount, snippets: r.snippets }));
    expect(shape(native)).toEqual(shape(scan));
  });

  it('filters by tag and prefix, honours limit, and finds nothing for an absent word or an empty query', async () => {
    const storage = await ctx.fresh();
    await seed(storage);
    expect(names(await searchSessions(storage, WORD, { tags: ['red'] }))).toEqual(['answered']);
    expect(names(await searchSessions(storage, WORD, { tags: ['myth', 'blue'] }))).toEqual([]);
    expect(names(await searchSessions(storage, WORD, { prefix: 'ans' }))).toEqual(['answered']);
    expect(await searchSessions(storage, WORD, { limit: 1 })).toHaveLength(1);
    expect(await searchSessions(storage, 'absent-word-xyz')).toEqual([]);
    expect(await searchSessions(storage, '   ')).toEqual([]);
    // Message text matches as a phrase, across whitespace differences, case-insensitively.
    expect(names(await searchSessions(storage, `  the   ${WORD.toLowerCase()}  `))).toEqual(['answered']);
  });

  it('with limit, takes the newest exact matches past many newer sessions holding the words in another order', async () => {
    const storage = await ctx.fresh();
    // 6 older sessions say "alpha beta"; 14 newer ones hold both words but never that phrase.
    for (let i = 0; i < 20; i++) {
      const said = i < 6 ? 'alpha beta' : 'beta, then alpha';
      const state = makeState({ claudeId: `c-${i}`, messages: 2, content: (m) => `${said} ${m}` });
      state.metadata.lastActive = tick();
      await storage.save(state, `${i < 6 ? 'exact' : 'loose'}-${String(i).padStart(2, '0')}`);
    }
    for (const options of [{ limit: 3 }, { limit: 3, prefix: 'exact-0' }, { limit: 30 }, {}]) {
      const found = await searchSessions(storage, 'alpha beta', options);
      expect(names(found)).toEqual(names(await searchByScan(storage, 'alpha beta', options)));
    }
    expect(names(await searchSessions(storage, 'alpha beta', { limit: 3 }))).toEqual([
      'exact-05',
      'exact-04',
      'exact-03',
    ]);
  });

  it('matches where a word begins (a prefix of a word, not the inside of one), with or without letters', async () => {
    const storage = await ctx.fresh();
    await seed(storage);
    expect(names(await searchSessions(storage, 'quetzal'))).toEqual(
      names(await searchSessions(storage, WORD)),
    );
    expect(await searchSessions(storage, 'etzalcoatl')).toEqual([]);
    expect(names(await searchSessions(storage, 'answer, said'))).toEqual(['answered']);
    expect(names(await searchSessions(storage, ', said'))).toEqual(['answered']);
    for (const query of ['quetzal', 'etzalcoatl', 'answer, said', ', said', 'nothing 1']) {
      expect(names(await searchSessions(storage, query))).toEqual(names(await searchByScan(storage, query)));
    }
  });

  it('finds what later saves and transcript appends added, and forgets what clear() removed', async () => {
    const storage = await ctx.fresh();
    const { transcripts } = await seed(storage);
    expect(await searchSessions(storage, 'zanzibar')).toEqual([]);
    const other = await storage.load('other');
    other.messages.push(makeMessage(2, 'c-other', 'off to Zanzibar'));
    other.metadata.lastActive = tick();
    await storage.save(other, 'other');
    expect(names(await searchSessions(storage, 'zanzibar'))).toEqual(['other']);
    if (transcripts) {
      await storage.appendTranscript?.(
        'tooled',
        'c-tool',
        [
          {
            type: 'assistant',
            uuid: 'a3',
            message: { role: 'assistant', content: [{ type: 'thinking', thinking: 'maybe zanzibar' }] },
          },
        ],
        4,
      );
      expect((await searchSessions(storage, 'zanzibar')).map((r) => r.name).sort()).toEqual([
        'other',
        'tooled',
      ]);
    }
    const cleared = await storage.load('other');
    cleared.messages = [];
    cleared.sessionChain = [];
    cleared.metadata.lastActive = tick();
    await storage.save(cleared, 'other');
    expect(names(await searchSessions(storage, 'zanzibar'))).toEqual(transcripts ? ['tooled'] : []);
  });
}
