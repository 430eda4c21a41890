import type { SessionStorage } from '../../../src/storage.js';

export function createJsonFileStorage(core: unknown, dir: string): SessionStorage;
