/**
 * The tables the storage writes, in one place: their models in `schema/channelcoder.prisma`, their names
 * in the database (`@@map`) and their columns, in the order of the README's table of tables. A test
 * compares the README, the schema and the tables the migrations create with this list, and the tables a
 * workload of every operation writes with it. The storage reaches these tables through the Prisma models,
 * and `search` names them in its SQL from {@link TABLES}.
 */

/** The database names of the tables. */
export const TABLES = {
  sessions: 'channelcoder_sessions',
  messages: 'channelcoder_messages',
  transcriptLines: 'channelcoder_transcript_lines',
  leases: 'channelcoder_leases',
  trash: 'channelcoder_trash',
} as const;

export interface TableLayout {
  /** The Prisma model. */
  model: string;
  /** The table (the model's `@@map`). */
  table: string;
  /** Its columns (the fields' `@map`, else their names), in schema order. */
  columns: readonly string[];
}

export const TABLE_LAYOUT: readonly TableLayout[] = [
  {
    model: 'ChannelCoderSession',
    table: TABLES.sessions,
    columns: [
      'name',
      'revision',
      'head',
      'created',
      'last_active',
      'message_count',
      'last_message_id',
      'total_cost_usd',
      'project_key',
    ],
  },
  { model: 'ChannelCoderMessage', table: TABLES.messages, columns: ['session_name', 'sequence', 'content'] },
  {
    model: 'ChannelCoderTranscriptLine',
    table: TABLES.transcriptLines,
    columns: ['session_name', 'claude_session_id', 'line', 'entry', 'uuid'],
  },
  { model: 'ChannelCoderLease', table: TABLES.leases, columns: ['name', 'token', 'holder', 'expires_at'] },
  {
    model: 'ChannelCoderTrash',
    table: TABLES.trash,
    columns: ['id', 'name', 'trashed_at', 'expires_at', 'reason', 'entry'],
  },
];
