/** How a session maps to rows of the ChannelCoder models, and back to a listing entry. */
import {
  SessionCorruptError,
  type SessionInfo,
  type SessionState,
  UnsupportedFormatError,
} from '@channelcoder/session-core';
import {
  corruptSessionInfo,
  fromWireHead,
  sessionInfoFromHead,
  sessionProjectKey,
  toWireHead,
  toWireMessage,
} from '@channelcoder/session-core/storage-kit';
import { TABLES } from './layout.js';
import type { MessageRow, ModelClient, SessionRow } from './prisma-models.js';

export const SESSIONS_TABLE = TABLES.sessions;

export function rowPath(name: string): string {
  return `${SESSIONS_TABLE}/${name}`;
}

/**
 * The `project_key` column of a session: `sessionProjectKey` of its metadata (the project folder name of its
 * `metadata.cwd`, else its `metadata.projectKey`), or '' for a session with neither (NULL stays for rows not
 * looked at yet: those stored before the column).
 */
export function projectKeyOf(source: { metadata: { cwd?: string; projectKey?: string } }): string {
  return sessionProjectKey(source) ?? '';
}

/** The head row for the state as it will be stored (revision + 1); with `projectKey` when the client has it. */
export function sessionRow(name: string, state: SessionState, withProject = false): SessionRow {
  const head = toWireHead({ ...state, revision: state.revision + 1 });
  return {
    ...(withProject ? { projectKey: projectKeyOf(state) } : {}),
    name,
    revision: state.revision + 1,
    head: JSON.stringify(head),
    created: state.metadata.created,
    lastActive: state.metadata.lastActive,
    messageCount: head.messageCount,
    lastMessageId: head.lastMessageId ?? null,
    totalCostUsd: state.usage.totalCostUsd,
  };
}

export async function insertMessages(
  tx: ModelClient,
  name: string,
  state: SessionState,
  from: number,
): Promise<void> {
  if (from >= state.messages.length) return;
  const data: MessageRow[] = state.messages.slice(from).map((m, i) => ({
    sessionName: name,
    sequence: from + i,
    content: JSON.stringify(toWireMessage(m)),
  }));
  await tx.channelCoderMessage.createMany({ data });
}

export type ListRow = Pick<SessionRow, 'name' | 'head' | 'lastActive'>;

export function listEntry(row: ListRow): SessionInfo {
  const name = row.name;
  const where = { name, path: rowPath(name) };
  try {
    return sessionInfoFromHead(fromWireHead(row.head, { name, location: where.path }), where);
  } catch (err) {
    if (!SessionCorruptError.is(err) && !UnsupportedFormatError.is(err)) throw err;
    return corruptSessionInfo(where, err, row.lastActive);
  }
}

/** True when the client's session model has the `projectKey` column (a client generated from this version). */
export function hasProjectKey(prisma: object): boolean {
  const model = (
    prisma as {
      _runtimeDataModel?: { models?: Record<string, { fields?: Array<{ name?: string }> }> };
    }
  )._runtimeDataModel?.models?.ChannelCoderSession;
  return model?.fields?.some((f) => f.name === 'projectKey') === true;
}

/** The `project_key` of a stored head row; '' when the head cannot be read (a damaged head has no project). */
export function projectKeyOfHead(name: string, head: string): string {
  try {
    return projectKeyOf(fromWireHead(head, { name, location: rowPath(name) }));
  } catch (err) {
    if (!SessionCorruptError.is(err) && !UnsupportedFormatError.is(err)) throw err;
    return '';
  }
}
