/** `session show NAME --full`: the whole conversation from the stored (or local) transcript. */

import type { ParsedValues } from '../args.js';
import { loadConversation, TOOL_RESULT_LIMIT } from '../conversation/load.js';
import { conversationText } from '../conversation/text.js';
import { EXIT } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { writePaged } from '../output/pager.js';
import { styleFor } from '../output/style.js';
import { storageSpecOf, withStorage } from '../storage.js';

/** Options `session show` accepts for the full view. */
export const FULL_SHOW_OPTIONS = {
  full: { type: 'boolean' },
  'no-truncate': { type: 'boolean' },
} as const;

export async function showFullCommand(name: string, values: ParsedValues, io: CliIo): Promise<number> {
  const limit = values['no-truncate'] === true ? undefined : TOOL_RESULT_LIMIT;
  const spec = storageSpecOf(values, io);
  return withStorage(spec, async ({ storage }) => {
    const loaded = await loadConversation(storage, name, io);
    if (values.json === true) {
      const doc = {
        name: loaded.name,
        source: loaded.source,
        sessionChain: loaded.state.sessionChain,
        usage: loaded.state.usage,
        items: loaded.items,
      };
      io.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
      return EXIT.ok;
    }
    await writePaged(io, conversationText(loaded, styleFor(io.stdout, io.env), limit));
    return EXIT.ok;
  });
}
