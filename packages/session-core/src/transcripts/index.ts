export {
  type AgentSessionEntry,
  type AgentSessionKey,
  type AgentSessionStore,
  type AgentSessionStoreOptions,
  MTIME_RESOLUTION_MS,
  toAgentSessionStore,
} from './agent-session-store.js';
export { javaStyleHash, MAX_PROJECT_FOLDER_LENGTH, projectFolderName } from './folder-name.js';
export {
  findLocalTranscript,
  readTranscriptLines,
  type TranscriptLocation,
  type TranscriptPosition,
  type TranscriptSlice,
  transcriptEnd,
  transcriptLocation,
  transcriptPathFor,
  writeTranscriptAtomically,
} from './local-transcript.js';
export {
  type MirrorReport,
  type RestoreSource,
  TranscriptMirror,
  transcriptCapability,
} from './mirror.js';
export { type SessionErrorListener, SessionTranscripts } from './session-transcripts.js';
