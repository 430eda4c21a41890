/**
 * Run inside a terminal (tmux) by the end-to-end test: one interactive turn of a session through the
 * BUILT package. Arguments: <dist entry> <storage dir> <session name> <prompt> <output file>. Writes what
 * the session recorded to the output file when the terminal session ends.
 */
import { writeFileSync } from 'node:fs';

const [distEntry, storageDir, name, prompt, outputFile] = process.argv.slice(2);
// The storage helpers the JSON storage uses live in the storage-kit entry beside the main one.
const core = {
  ...(await import(distEntry)),
  ...(await import(distEntry.replace(/index\.js$/, 'storage-kit.js'))),
};
const { createJsonFileStorage } = await import('./json-file-storage.mjs');
const s = core.session({ name, storage: createJsonFileStorage(core, storageDir) });
try {
  const result = await s.interactive(prompt);
  writeFileSync(
    outputFile,
    JSON.stringify({ ok: true, result, id: s.id(), messages: s.messages(), usage: s.usage() }),
  );
} catch (err) {
  writeFileSync(outputFile, JSON.stringify({ ok: false, error: String(err), messages: s.messages() }));
}
