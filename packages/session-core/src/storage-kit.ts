/**
 * `@channelcoder/session-core/storage-kit`: what a `SessionStorage` adapter needs beyond the contract: the
 * stored format (wire types, serialize and decode), save planning (names, revisions, which messages to
 * write), list order and cursors, `SessionInfo` from a stored head, the transcript append rule and the
 * lease helpers and the trash helpers. Every adapter in this repository is built from these; a third-party adapter should be too,
 * so that it stores what the others store and passes the conformance suite.
 */
export {
  acquireLease,
  assertLeaseCurrent,
  createLeaseHandle,
  DEFAULT_LEASE_TTL_MS,
  defaultLeaseHolder,
  fencingToken,
  type LeaseAttempt,
  readLeaseOptions,
} from './lease.js';
export {
  compareListPositions,
  decodeListCursor,
  encodeListCursor,
  type ListPosition,
  pageSessionInfos,
  positionOf,
  readListOptions,
  sessionProjectKey,
} from './list-order.js';
export {
  assertRevision,
  type MessageWritePlan,
  planMessageWrite,
  resolveSaveName,
} from './save-plan.js';
export {
  matchesFilters,
  searchByScan,
  sessionSnippets,
} from './search/scan.js';
export {
  normalizeQuery,
  searchWords,
  snippetFor,
} from './search/snippet.js';
export {
  type AssembleOptions,
  assembleState,
  deserializeState,
  fromWireHead,
  serializeState,
  toWireHead,
  toWireMessage,
  toWireState,
  type WireHead,
  type WireHeadInfo,
  type WireMessage,
  type WireMetadata,
  type WirePendingTurn,
  type WireState,
} from './serialize.js';
export {
  corruptSessionInfo,
  sessionInfoFromHead,
} from './session-info.js';
export {
  emptyUsage,
  newMessageId,
} from './state.js';
export {
  requireCapability,
  storageLabel,
} from './storage.js';
export { newTranscriptLines, transcriptEntryUuid, uniqueTranscriptEntries } from './transcript-append.js';
export {
  decodeTranscriptChunk,
  decodeTranscriptChunkText,
  encodeTranscriptChunk,
  isCompressedTranscriptChunk,
  type TranscriptChunkSource,
} from './transcript-codec.js';
export {
  compareTrashEntries,
  createTrashEntry,
  DEFAULT_TRASH_RETENTION_MS,
  isTrashExpired,
  isTrashId,
  newTrashId,
  pageTrashEntries,
  readTrashListOptions,
  readTrashOptions,
  readTrashPurgeOptions,
  restoreNameTaken,
  TRASH_ID_PATTERN,
  trashEntryFromJSON,
  trashEntryNotFound,
  trashEntryToJSON,
} from './trash.js';
export {
  type DecodeContext,
  WireReader,
} from './wire-reader.js';
