// Reaches into MemorySessionStorage's records, as ../memory.test.ts does, for the runner-neutral suites.
/** @param {import('@channelcoder/session-core').MemorySessionStorage} storage */
export function memoryBackdoor(storage) {
  return {
    async corrupt(name) {
      const record = storage.records.get(name);
      if (!record) throw new Error(`backdoor: nothing stored under ${name}`);
      record.head = '{"formatVersion":1,"revision":';
    },
    async corruptMessages(name) {
      const record = storage.records.get(name);
      if (!record) throw new Error(`backdoor: nothing stored under ${name}`);
      record.messages[0] = '{"id":42}';
    },
    async plant(name, document) {
      const { messages = [], ...head } = JSON.parse(document);
      storage.records.set(name, {
        head: JSON.stringify({ ...head, messageCount: messages.length }),
        messages: messages.map((m) => JSON.stringify(m)),
        transcripts: new Map(),
      });
    },
  };
}
