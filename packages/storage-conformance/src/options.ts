import type { SessionStorage } from '@channelcoder/session-core';

/** The concerns the suite checks, one spec module each. Use these names in `skip`. */
export const CONCERNS = [
  'roundTrip',
  'names',
  'saveWithoutName',
  'list',
  'listProject',
  'corruption',
  'removeExists',
  'conflict',
  'incremental',
  'clear',
  'concurrency',
  'formatUpgrade',
  'close',
  'transcripts',
  'lease',
  'search',
  'agentSessionStore',
  'trash',
  'readRevision',
  'peekLease',
  'deleteTranscript',
] as const;
export type Concern = (typeof CONCERNS)[number];

/**
 * Reaches under the adapter to what it physically stored, so the suite can prove how it handles damage
 * and documents written by other versions.
 */
export interface StorageBackdoor {
  /** Replace what is stored for `name` (its head / document) with bytes that are not a valid session. */
  corrupt(name: string): Promise<void>;
  /**
   * Store `document` (a complete session as JSON text, in any format version: the seed-era layout without
   * `formatVersion`, or a future one) so that `load(name)` and `list()` read it as they would any entry.
   */
  plant(name: string, document: string): Promise<void>;
  /**
   * Optional: damage only the stored messages of `name`, leaving the head intact. When given, the suite
   * proves that `list()` reads metadata only (the entry lists cleanly) while `load()` reports the damage.
   */
  corruptMessages?(name: string): Promise<void>;
}

export interface ConformanceOptions<S extends SessionStorage = SessionStorage> {
  /** Access to the stored bytes; the corruption and format-upgrade specs are skipped without it. */
  backdoor?: (storage: S) => StorageBackdoor;
  /** Runs after each test for every storage the factory made: delete its data, close what it opened. */
  destroy?: (storage: S) => Promise<void> | void;
  /** Concerns the backend cannot satisfy, each with the reason; the reason appears in the test name. */
  skip?: Partial<Record<Concern, string>>;
  /** Per-test timeout in milliseconds (default 60 000). */
  timeoutMs?: number;
  /** Size of the large-message round trip, in bytes (default 1 MiB). */
  largeMessageBytes?: number;
  /** Size of the large-transcript spec, in bytes (default 50 MiB, the size the CLI reaches in long sessions). */
  largeTranscriptBytes?: number;
  /** How many writers race in the concurrency spec (default 5). */
  concurrentWriters?: number;
  /**
   * Another storage object over the same data as `storage` (its own client or connection, as a second
   * process would open). The Agent SDK spec's concurrent writers use one each; without it they share one.
   */
  sibling?: (storage: S) => S | Promise<S>;
  /** Agent SDK spec: concurrent writers (default 4) and entries each appends, one per call (default 60). */
  agentWriters?: number;
  agentEntriesPerWriter?: number;
  /** Agent SDK spec: why the backend cannot order concurrent writers (skips only that test). */
  skipAgentConcurrency?: string;
}

/** What each spec module gets. */
export interface SpecContext<S extends SessionStorage = SessionStorage> {
  /** A fresh, isolated storage from the factory; destroyed after the test. */
  fresh(): Promise<S>;
  backdoor?: (storage: S) => StorageBackdoor;
  options: ConformanceOptions<S>;
}
