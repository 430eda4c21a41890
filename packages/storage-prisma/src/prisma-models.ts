/**
 * The slice of a generated PrismaClient the adapter uses: the two models of `schema/channelcoder.prisma`
 * (delegates `channelCoderSession` and `channelCoderMessage`) and interactive `$transaction`. Only the
 * Prisma client API is used, never raw SQL, so any provider Prisma supports works.
 */
import { InvalidArgumentError } from '@channelcoder/session-core';

/** A row of `channelcoder_sessions` (model `ChannelCoderSession`). */
export interface SessionRow {
  name: string;
  revision: number;
  head: string;
  created: Date;
  lastActive: Date;
  messageCount: number;
  lastMessageId: string | null;
  totalCostUsd: number;
  /** The project folder name of `metadata.cwd`, '' without one; absent from clients generated before it. */
  projectKey?: string | null;
}

/** A row of `channelcoder_messages` (model `ChannelCoderMessage`). */
export interface MessageRow {
  sessionName: string;
  sequence: number;
  content: string;
}

type Where = Record<string, unknown>;
type Select = Record<string, unknown>;

/** The calls the adapter makes on `prisma.channelCoderSession`. */
export interface SessionDelegate {
  findUnique(args: { where: { name: string }; select?: Select }): Promise<Partial<SessionRow> | null>;
  findMany(args: {
    where?: Where;
    orderBy?: unknown;
    take?: number;
    select?: Select;
  }): Promise<Partial<SessionRow>[]>;
  create(args: { data: SessionRow; select?: Select }): Promise<unknown>;
  updateMany(args: { where: Where; data: Partial<SessionRow> }): Promise<{ count: number }>;
  deleteMany(args: { where: Where }): Promise<{ count: number }>;
}

/** The calls the adapter makes on `prisma.channelCoderMessage`. */
export interface MessageDelegate {
  findMany(args: { where?: Where; orderBy?: unknown; select?: Select }): Promise<Partial<MessageRow>[]>;
  createMany(args: { data: MessageRow[] }): Promise<{ count: number }>;
  deleteMany(args: { where: Where }): Promise<{ count: number }>;
}

export interface ModelClient {
  channelCoderSession: SessionDelegate;
  channelCoderMessage: MessageDelegate;
}

export interface TransactionOptions {
  /** Longest wait for a connection to start the transaction, in ms. */
  maxWait?: number;
  /** Longest the whole transaction may run, in ms. */
  timeout?: number;
  isolationLevel?: string;
}

export interface TransactionalClient extends ModelClient {
  $transaction<R>(fn: (tx: ModelClient) => Promise<R>, options?: TransactionOptions): Promise<R>;
}

/**
 * Any PrismaClient (or `$extends`-ed client) generated from a schema that includes the models of
 * `schema/channelcoder.prisma`. Typed loosely on purpose: the generated client's types differ per schema
 * and Prisma version; the adapter checks at construction that the models are there.
 */
export interface ChannelCoderPrismaClient {
  channelCoderSession: unknown;
  channelCoderMessage: unknown;
  $transaction: unknown;
}

/** Checks that the client was generated with our models and returns it typed for internal use. */
export function asTransactionalClient(prisma: ChannelCoderPrismaClient): TransactionalClient {
  const p = prisma as unknown as Partial<Record<string, unknown>> | null | undefined;
  if (typeof p !== 'object' || p === null) {
    throw new InvalidArgumentError('PrismaSessionStorage: pass your PrismaClient as { prisma }.');
  }
  const missing = ['channelCoderSession', 'channelCoderMessage'].filter(
    (model) => typeof p[model] !== 'object' || p[model] === null,
  );
  if (missing.length > 0) {
    throw new InvalidArgumentError(
      `PrismaSessionStorage: the PrismaClient has no ${missing.join(' and ')} model. Add the models of ` +
        '@channelcoder/storage-prisma/schema/channelcoder.prisma to your schema and run `prisma generate`.',
    );
  }
  if (typeof p.$transaction !== 'function') {
    throw new InvalidArgumentError(
      'PrismaSessionStorage: the client has no $transaction (pass the PrismaClient itself, not a transaction client).',
    );
  }
  return prisma as unknown as TransactionalClient;
}
