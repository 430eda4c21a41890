import * as fs from 'node:fs';
import { createSessionState } from '@channelcoder/session-core';
import { FileSessionStorage } from '@channelcoder/storage-file';

const dir = fs.mkdtempSync('/tmp/lp-');
const w = new FileSessionStorage({ dir, fsync: false });
let counter = 0;
for (let i = 0; i < 2000; i++) {
  const s = createSessionState({ name: `session-${String(i).padStart(4, '0')}` });
  const at = new Date();
  for (let j = 0; j < 50; j++)
    s.messages.push({
      id: `m${++counter}`,
      role: 'user',
      content: 'x'.repeat(400),
      timestamp: at,
      sessionId: 'c',
    });
  s.metadata.lastActive = at;
  await w.save(s);
}
const storage = new FileSessionStorage({ dir });
const cpu = [],
  wall = [];
for (let i = 0; i < 40; i++) {
  const c = process.cpuUsage();
  const t = performance.now();
  await storage.list();
  const u = process.cpuUsage(c);
  wall.push(performance.now() - t);
  cpu.push((u.user + u.system) / 1000);
}
const med = (a) => [...a].sort((x, y) => x - y)[a.length >> 1].toFixed(1);
const min = (a) => Math.min(...a).toFixed(1);
console.log('cpu median', med(cpu), 'min', min(cpu), '| wall median', med(wall), 'min', min(wall));
fs.rmSync(dir, { recursive: true });
