/** Request schemas (TypeBox → JSON Schema): Fastify validates bodies with them and the OpenAPI document is built from them. */
import { Type } from 'typebox';

/** Session names as session-core accepts them (`SESSION_NAME_PATTERN`, without `..`). */
export const SessionName = Type.String({
  pattern: '^(?!.*\\.\\.)[A-Za-z0-9][A-Za-z0-9._-]{0,127}$',
  description: 'Letters, digits, ".", "_" and "-", starting with a letter or digit, at most 128, no "..".',
});

const Tag = Type.String({
  minLength: 1,
  maxLength: 200,
  pattern: '^(?!cc\\.)',
  description: 'A free tag; the `cc.` prefix is reserved for the service.',
});

const ToolRule = Type.String({ minLength: 1, maxLength: 500 });

export const RunDefaults = Type.Object(
  {
    model: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    allowedTools: Type.Optional(Type.Array(ToolRule, { maxItems: 200 })),
    disallowedTools: Type.Optional(Type.Array(ToolRule, { maxItems: 200 })),
    permissionMode: Type.Optional(
      Type.Union([
        Type.Literal('default'),
        Type.Literal('acceptEdits'),
        Type.Literal('auto'),
        Type.Literal('bypassPermissions'),
        Type.Literal('dontAsk'),
        Type.Literal('plan'),
      ]),
    ),
    systemPrompt: Type.Optional(Type.String({ maxLength: 100_000 })),
    appendSystemPrompt: Type.Optional(Type.String({ maxLength: 100_000 })),
    maxTurns: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  },
  { additionalProperties: false, description: 'Default run options of every task in the session.' },
);

const Path = Type.String({ minLength: 1, maxLength: 4096, description: 'An absolute path on the server.' });

export const CreateSessionBody = Type.Object(
  {
    name: Type.Optional(SessionName),
    workingDirectory: Type.Optional(Path),
    tags: Type.Optional(Type.Array(Tag, { maxItems: 50 })),
    defaults: Type.Optional(RunDefaults),
  },
  { additionalProperties: false },
);

export const ForkBody = Type.Object({ name: Type.Optional(SessionName) }, { additionalProperties: false });

export const TaskBody = Type.Object(
  {
    prompt: Type.Optional(Type.String({ minLength: 1, maxLength: 200_000 })),
    template: Type.Optional(Type.String({ minLength: 1, maxLength: 200_000 })),
    data: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    workingDirectory: Type.Optional(Path),
    onBusy: Type.Optional(Type.Union([Type.Literal('wait'), Type.Literal('fail')])),
    waitMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 3_600_000 })),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400_000 })),
  },
  { additionalProperties: false, description: 'Exactly one of `prompt` and `template` (with `data`).' },
);

export const PlanBody = Type.Object(
  {
    tasks: Type.Array(TaskBody, { minItems: 1, maxItems: 100 }),
    continueOnError: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const NameParams = Type.Object({ name: SessionName }, { additionalProperties: false });
export const TaskParams = Type.Object(
  { name: SessionName, taskId: Type.String({ minLength: 1, maxLength: 100 }) },
  { additionalProperties: false },
);
export const PlanParams = Type.Object(
  { planId: Type.String({ minLength: 1, maxLength: 200, description: '`<session>~<uuid>`' }) },
  { additionalProperties: false },
);

export const ListQuery = Type.Object(
  {
    limit: Type.Optional(
      Type.String({ pattern: '^(?:[1-9]\\d{0,2}|1000)$', description: '1-1000 (default 50)' }),
    ),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })),
    prefix: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    tag: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
);

export const DeleteQuery = Type.Object(
  {
    purge: Type.Optional(
      Type.Union([Type.Literal('true'), Type.Literal('false')], {
        description:
          'true: delete for good. Otherwise, on a storage with a trash, the session moves to the trash ' +
          '(restorable with `channelcoder session restore NAME`)',
      }),
    ),
  },
  { additionalProperties: false },
);

export const MessagesQuery = Type.Object(
  {
    limit: Type.Optional(
      Type.String({ pattern: '^(?:[1-9]\\d{0,2}|1000)$', description: '1-1000 (default 100)' }),
    ),
    offset: Type.Optional(Type.String({ pattern: '^\\d{1,9}$' })),
    transcript: Type.Optional(
      Type.Union([Type.Literal('true'), Type.Literal('false')], {
        description: 'true: the stored Claude transcript lines (tool calls and results) instead of messages',
      }),
    ),
  },
  { additionalProperties: false },
);

/** Who holds the session now (`busy` of session answers); null when nobody does. */
export const Busy = Type.Union(
  [
    Type.Object(
      {
        holder: Type.String({ description: 'The lease holder (a CLI turn, a task on any replica).' }),
        expiresAt: Type.Union([Type.String(), Type.Null()], {
          description:
            'ISO time the lease runs out unless renewed; null for a task on this server over a storage ' +
            'without leases.',
        }),
      },
      { additionalProperties: false },
    ),
    Type.Null(),
  ],
  {
    description:
      "Read with the storage's `peekLease` when it has one (never taking the lease): any process holding " +
      'the session. Without it, only a task running on this server. A task sent meanwhile waits or gets 409.',
  },
);

const SessionSummaryReply = Type.Object(
  { name: Type.String(), status: Type.String(), busy: Busy },
  { additionalProperties: true },
);

/** 200 of `GET /sessions/{name}` (the fields the OpenAPI document details; the others are passed through). */
export const SessionViewReply = Type.Object(
  {
    name: Type.String(),
    metadata: Type.Object({}, { additionalProperties: true }),
    stats: Type.Object({}, { additionalProperties: true }),
    running: Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()], {
      description: 'A task running on this server in the session.',
    }),
    busy: Busy,
  },
  { additionalProperties: true },
);

/** 200 of `GET /sessions`. */
export const SessionListReply = Type.Object(
  {
    sessions: Type.Array(SessionSummaryReply),
    nextCursor: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: true },
);

/** 200 of `GET /sessions/{name}/conversation`. */
export const ConversationReply = Type.Object({ session: SessionViewReply }, { additionalProperties: true });
