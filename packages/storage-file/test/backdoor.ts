/** Test access to the bytes a FileSessionStorage keeps (for the conformance suite's backdoor). */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StorageBackdoor } from '@channelcoder/storage-conformance';
import type { FileSessionStorage } from '../src/index.js';

export function fileBackdoor(storage: FileSessionStorage): StorageBackdoor {
  const dir = (name: string) => join(storage.root, name);
  const head = (name: string) => join(storage.root, name, 'head.json');
  const legacy = (name: string) => join(storage.root, `${name}.json`);
  return {
    async corrupt(name) {
      const path = existsSync(head(name)) ? head(name) : legacy(name);
      const text = readFileSync(path, 'utf8');
      writeFileSync(path, text.slice(0, Math.floor(text.length / 2))); // a truncated write
    },
    async corruptMessages(name) {
      const ref = JSON.parse(readFileSync(head(name), 'utf8')).file as { messages: string; bytes: number };
      writeFileSync(join(dir(name), ref.messages), `${'#'.repeat(ref.bytes - 1)}\n`);
    },
    async plant(name, document) {
      const doc = JSON.parse(document) as Record<string, unknown> & { messages?: { id?: string }[] };
      rmSync(dir(name), { recursive: true, force: true });
      rmSync(legacy(name), { force: true });
      mkdirSync(storage.root, { recursive: true });
      if (doc.formatVersion === undefined || !Array.isArray(doc.messages)) {
        // Seed-era documents live where ChannelCoder 3.x wrote them: one file per session.
        writeFileSync(legacy(name), document);
        return;
      }
      const { messages, ...rest } = doc;
      const lines = messages.map((m) => `${JSON.stringify(m)}\n`).join('');
      mkdirSync(dir(name));
      writeFileSync(join(dir(name), 'messages-1.jsonl'), lines);
      const last = messages.at(-1);
      writeFileSync(
        head(name),
        JSON.stringify({
          ...rest,
          messageCount: messages.length,
          ...(last?.id === undefined ? {} : { lastMessageId: last.id }),
          file: { messages: 'messages-1.jsonl', bytes: Buffer.byteLength(lines) },
        }),
      );
    },
  };
}
