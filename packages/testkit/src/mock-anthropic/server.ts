import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { countUserTurns, defaultReply, lastUserText } from './replies.js';
import { messageJson, type ReplyMessage, writeSse } from './sse.js';
import type {
  InjectedError,
  MockAnthropicOptions,
  MockUsage,
  RecordedRequest,
  ReplyContext,
} from './types.js';

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

/** A reply held after its content blocks (before `message_delta`), see {@link MockAnthropicServer.holdNextReply}. */
export interface ReplyHold {
  /** Resolves once the held reply has streamed its content blocks and is waiting. */
  readonly reached: Promise<void>;
  /** Lets the reply finish. */
  release(): void;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A dependency-free mock of the Anthropic Messages API for running the real `claude` CLI offline.
 *
 * Answers `POST /v1/messages` (Server-Sent Events when `stream` is true, JSON otherwise) with a
 * deterministic reply, by default `turn N: <last user text>` where N is the number of real user prompts
 * the request carried; `POST /v1/messages/count_tokens`; `GET /v1/models`. Every request is recorded.
 * Errors and delays can be injected from the test (methods) or from another process (the `/__mock/`
 * control endpoints: `POST /__mock/fail-next {count,status,message}`, `POST /__mock/delay {ms}`,
 * `POST /__mock/reset`, `GET /__mock/requests`). Listens on 127.0.0.1 only.
 */
export class MockAnthropicServer {
  /** Every request received, in arrival order (control requests excluded). */
  readonly requests: RecordedRequest[] = [];
  private readonly server: Server;
  private readonly options: MockAnthropicOptions;
  private delayMs: number;
  private failures: InjectedError[] = [];
  private persistentFailure: InjectedError | undefined;
  private holds: Array<{ reached: () => void; released: Promise<void> }> = [];
  private messageCounter = 0;
  private listeningPort = 0;

  private constructor(options: MockAnthropicOptions) {
    this.options = options;
    this.delayMs = options.delayMs ?? 0;
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify(errorBody(500, `mock failure: ${String(err)}`)));
      });
    });
  }

  /** Starts a mock on 127.0.0.1 (a free port unless `options.port` is given). */
  static async start(options: MockAnthropicOptions = {}): Promise<MockAnthropicServer> {
    const mock = new MockAnthropicServer(options);
    await new Promise<void>((resolve, reject) => {
      mock.server.once('error', reject);
      mock.server.listen(options.port ?? 0, '127.0.0.1', () => {
        mock.server.off('error', reject);
        resolve();
      });
    });
    mock.listeningPort = (mock.server.address() as AddressInfo).port;
    return mock;
  }

  get port(): number {
    return this.listeningPort;
  }

  /** Base URL for `ANTHROPIC_BASE_URL`, e.g. `http://127.0.0.1:40123`. */
  get url(): string {
    return `http://127.0.0.1:${this.listeningPort}`;
  }

  /** The recorded `POST /v1/messages` requests. */
  messageRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.method === 'POST' && r.path === '/v1/messages');
  }

  /** The last recorded `POST /v1/messages` request, if any. */
  lastMessageRequest(): RecordedRequest | undefined {
    return this.messageRequests().at(-1);
  }

  /** The next `count` `POST /v1/messages` requests fail with `error` (queued after earlier failNext calls). */
  failNext(count: number, error: InjectedError): void {
    for (let i = 0; i < count; i++) this.failures.push(error);
  }

  /** Every `POST /v1/messages` fails with `error` until called with `undefined`. */
  failAll(error: InjectedError | undefined): void {
    this.persistentFailure = error;
  }

  /** Delay before each `/v1/messages` answer, in milliseconds. */
  setDelay(ms: number): void {
    this.delayMs = ms;
  }

  /** Holds the next streamed reply after its content blocks until `release()` is called. */
  holdNextReply(): ReplyHold {
    let reached!: () => void;
    let release!: () => void;
    const reachedPromise = new Promise<void>((resolve) => {
      reached = resolve;
    });
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.holds.push({ reached, released });
    return { reached: reachedPromise, release };
  }

  /** Forgets recorded requests, injected failures, holds and delay. */
  reset(): void {
    this.requests.length = 0;
    this.failures = [];
    this.persistentFailure = undefined;
    this.holds = [];
    this.delayMs = this.options.delayMs ?? 0;
  }

  /** Stops listening and closes open connections. */
  async close(): Promise<void> {
    for (const hold of this.holds) hold.reached();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const [path = '/', query = ''] = (req.url ?? '/').split('?', 2);
    const raw = await readBody(req);
    let body: unknown;
    try {
      body = raw.length > 0 ? JSON.parse(raw) : undefined;
    } catch {
      body = undefined;
    }
    if (path.startsWith('/__mock/')) return this.control(req.method ?? 'GET', path, body, res);

    const sessionHeader = req.headers['x-claude-code-session-id'];
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path,
      query,
      headers: req.headers,
      body,
      receivedAt: Date.now(),
    };
    if (typeof sessionHeader === 'string') record.claudeSessionId = sessionHeader;
    this.requests.push(record);

    if (req.method === 'POST' && path === '/v1/messages') return this.messages(record, res);
    if (req.method === 'POST' && path === '/v1/messages/count_tokens') {
      return sendJson(res, 200, { input_tokens: Math.max(1, Math.ceil(raw.length / 4)) });
    }
    if (req.method === 'GET' && path === '/v1/models') {
      const model = this.model();
      return sendJson(res, 200, {
        data: [{ type: 'model', id: model, display_name: 'Mock model', created_at: '2025-01-01T00:00:00Z' }],
        has_more: false,
        first_id: model,
        last_id: model,
      });
    }
    if (req.method === 'HEAD' || (req.method === 'GET' && path === '/')) return sendJson(res, 200, {});
    return sendJson(res, 404, errorBody(404, `mock has no route ${req.method} ${path}`));
  }

  private async messages(record: RecordedRequest, res: ServerResponse): Promise<void> {
    const body = (record.body ?? {}) as Record<string, unknown>;
    record.userTurns = countUserTurns(body.messages);
    if (this.delayMs > 0) await sleep(this.delayMs);

    const failure = this.failures.shift() ?? this.persistentFailure;
    if (failure) {
      record.status = failure.status;
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (failure.status === 429 || failure.status === 529) headers['retry-after'] = '0';
      res.writeHead(failure.status, headers);
      res.end(JSON.stringify(errorBody(failure.status, failure.message)));
      return;
    }

    const context: ReplyContext = {
      userTurns: record.userTurns,
      lastUserText: lastUserText(body.messages),
      body,
    };
    if (record.claudeSessionId !== undefined) context.claudeSessionId = record.claudeSessionId;
    const text = this.options.reply
      ? this.options.reply(context)
      : defaultReply(context.userTurns, context.lastUserText);
    this.messageCounter++;
    const reply: ReplyMessage = {
      id: `msg_mock_${String(this.messageCounter).padStart(6, '0')}`,
      model: typeof body.model === 'string' ? body.model : this.model(),
      blocks: Array.isArray(text) ? text : [text],
      usage: this.usage(),
    };
    record.status = 200;
    if (body.stream !== true) return sendJson(res, 200, messageJson(reply));

    const hold = this.holds.shift();
    await writeSse(res, reply, {
      eventDelayMs: this.options.eventDelayMs ?? 0,
      beforeStop: hold
        ? async () => {
            hold.reached();
            await hold.released;
          }
        : undefined,
    });
  }

  private control(method: string, path: string, body: unknown, res: ServerResponse): void {
    const [status, value] = this.controlAnswer(method, path, (body ?? {}) as Record<string, unknown>);
    sendJson(res, status, value);
  }

  private controlAnswer(method: string, path: string, input: Record<string, unknown>): [number, unknown] {
    const route = `${method} ${path}`;
    if (route === 'POST /__mock/fail-next') {
      this.failNext(Number(input.count ?? 1), {
        status: Number(input.status ?? 500),
        ...(typeof input.message === 'string' ? { message: input.message } : {}),
      });
    } else if (route === 'POST /__mock/delay') {
      this.setDelay(Number(input.ms ?? 0));
    } else if (route === 'POST /__mock/reset') {
      this.reset();
    } else if (route === 'GET /__mock/requests') {
      return [200, this.requests];
    } else {
      return [404, errorBody(404, `mock has no control route ${route}`)];
    }
    return [200, { ok: true }];
  }

  private model(): string {
    return this.options.model ?? 'claude-mock-1';
  }

  private usage(): MockUsage {
    return {
      input_tokens: 10,
      output_tokens: 5,
      cache_read_input_tokens: 0,
      cache_creation_input_tokens: 0,
      ...this.options.usage,
    };
  }
}

function errorBody(status: number, message?: string): Record<string, unknown> {
  const type = ERROR_TYPES[status] ?? 'api_error';
  return { type: 'error', error: { type, message: message ?? `mock ${type} (HTTP ${status})` } };
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
