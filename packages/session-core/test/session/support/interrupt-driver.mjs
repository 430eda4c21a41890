/**
 * Run in a NEW node process by the signal tests: one turn of a session on the JSON file storage with the
 * BUILT package. Arguments: <dist entry> <storage dir> <session name> <prompt>. With SLOW_SAVE_MS set,
 * saves that record a turn wait that long first (a slow storage while an interrupted turn is recorded).
 * Prints one JSON line with how the turn ended.
 */
const [distEntry, storageDir, name, prompt] = process.argv.slice(2);
// The storage helpers the JSON storage uses live in the storage-kit entry beside the main one.
const core = {
  ...(await import(distEntry)),
  ...(await import(distEntry.replace(/index\.js$/, 'storage-kit.js'))),
};
const { createJsonFileStorage } = await import('./json-file-storage.mjs');
const files = createJsonFileStorage(core, storageDir);
const slow = Number(process.env.SLOW_SAVE_MS ?? 0);
const storage = {
  ...files,
  async save(state, saveName) {
    if (slow > 0 && state.pendingTurn === undefined) await new Promise((r) => setTimeout(r, slow));
    return files.save(state, saveName);
  },
};
const s = core.session({ name, storage });
try {
  const result = await s.claude(prompt);
  process.stdout.write(`${JSON.stringify({ text: result.text })}\n`);
} catch (err) {
  process.stdout.write(
    `${JSON.stringify({ code: err.code, interrupted: err.interrupted === true, message: err.message })}\n`,
  );
}
