/** Shapes of the service's answers the viewer reads. */
// The server's own view types where they are already JSON-shaped (type-only: nothing of the server is bundled).
import type { TurnView as Turn } from '../../src/viewer/conversation-view.js';

export type { TurnStep } from '../../src/viewer/conversation-view.js';
export type { CostReport } from '../../src/viewer/cost-series.js';
export type { Turn };
export interface SessionSummary {
  name: string;
  created: string;
  lastActive: string;
  messageCount: number;
  costUsd: number;
  tags: string[];
  status: 'active' | 'ended';
  error?: string;
  transcriptError?: string;
}

export interface Snippet {
  source: string;
  text: string;
  matchStart: number;
  matchEnd: number;
}

export interface SessionView {
  name: string;
  metadata: {
    created: string;
    lastActive: string;
    tags: string[];
    status: 'active' | 'ended';
    endedAt?: string;
    parent?: { name: string; sessionId: string; messageCount: number };
    messageCount: number;
  };
  stats: { totalTasks: number; failedTasks: number; costUsd: number; totalExecutionTime: number };
  running: { startedAt: string; holder: string } | null;
  /** Who holds the session's lease now (any process, when the storage can tell); null when free. */
  busy: { holder: string; expiresAt: string | null } | null;
}

export interface Conversation {
  session: SessionView;
  turns: Turn[];
  transcripts: Record<string, 'storage' | 'local' | 'missing'>;
  transcriptError?: string;
}
