export { ADOPTED_TAG, type AdoptOutcome, adoptTranscripts } from './adopt-sessions.js';
export {
  adoptedSessionName,
  type FoundTranscript,
  findClaudeTranscripts,
  summarizeTranscript,
  type TranscriptSummary,
  type TranscriptTurn,
} from './adoption.js';
export {
  type AgentSessionEntry,
  type AgentSessionKey,
  type AgentSessionStore,
  type AgentSessionStoreOptions,
  agentKeySegment,
  agentSessionName,
  MAX_NAME_PREFIX,
  MTIME_RESOLUTION_MS,
  toAgentSessionStore,
} from './agent-session-store.js';
export { type ConversationItem, conversationItemText, readConversation } from './conversation.js';
export { loadSessionConversation, type SessionConversation } from './conversation-source.js';
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
