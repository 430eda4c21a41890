/** Shapes of the service's answers the viewer reads. */
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

export type TurnStep =
  | { kind: 'thinking'; text: string }
  | { kind: 'tool'; id: string; name: string; input: unknown; result?: { text: string; isError: boolean } };

export interface Turn {
  id: string;
  prompt: string;
  answer?: string;
  at: string;
  status: 'completed' | 'failed' | 'interrupted';
  error?: string;
  costUsd?: number;
  costUnknown?: boolean;
  durationMs?: number;
  inputTokens?: number;
  outputTokens?: number;
  inherited: boolean;
  steps: TurnStep[];
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
}

export interface Conversation {
  session: SessionView;
  turns: Turn[];
  transcripts: Record<string, 'storage' | 'local' | 'missing'>;
  transcriptError?: string;
}

export interface CostReport {
  by: 'tag' | 'session';
  days: string[];
  series: Array<{ key: string; costUsd: number[]; tokens: number[] }>;
  total: {
    costUsd: number;
    turns: number;
    failedTurns: number;
    inputTokens: number;
    outputTokens: number;
    sessions: number;
  };
}
