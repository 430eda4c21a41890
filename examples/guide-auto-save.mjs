// Session guide, "Auto-Save Sessions": every turn is saved; no save() call needed.
import { FileSessionStorage, session } from 'channelcoder';

const s = session({ autoSave: true });

// Automatically saved after each interaction
await s.claude('Implement feature');
await s.claude('Add tests');
// No need to manually save!

// One entry per session (not one per turn), named by the first autosave.
const storage = new FileSessionStorage();
const stored = await storage.load(s.name());
console.log(`autosaved as "${s.name()}" in ${storage.root}: ${stored.messages.length} messages`);
console.log(`entries: ${(await session.list()).length}`);
