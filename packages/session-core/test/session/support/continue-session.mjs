/**
 * Run in a NEW node process by the end-to-end test: loads a saved session with the BUILT package and
 * continues it. Arguments: <dist entry> <storage dir> <session name> <prompt>. The claude CLI settings
 * come from the environment. Prints one JSON line with what the test checks.
 */
const [distEntry, storageDir, name, prompt] = process.argv.slice(2);
// The storage helpers the JSON storage uses live in the storage-kit entry beside the main one.
const core = {
  ...(await import(distEntry)),
  ...(await import(distEntry.replace(/index\.js$/, 'storage-kit.js'))),
};
const { createJsonFileStorage } = await import('./json-file-storage.mjs');
const storage = createJsonFileStorage(core, storageDir);
const s = await core.session.load(name, { storage });
const before = s.messages().length;
const result = await s.claude(prompt);
process.stdout.write(
  `${JSON.stringify({ before, after: s.messages().length, text: result.text, id: s.id(), chain: s.state().sessionChain })}\n`,
);
