/**
 * The few S3 calls the storage makes, with one error policy: "not found" and "precondition failed" are
 * answers, everything else (connection refused, timeouts, 5xx after the SDK's retries, access denied, a
 * missing bucket) is a StorageUnavailableError carrying the SDK's error as `cause`.
 */

import { setMaxListeners } from 'node:events';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { StorageUnavailableError } from '@channelcoder/session-core';

const BACKEND = 'S3';

/** A conditional write: create only, or replace only the version with this ETag. */
export type WriteCondition = { ifNoneMatch: '*' } | { ifMatch: string };

export interface StoredText {
  text: string;
  etag: string;
}

export interface KeyPage {
  keys: string[];
  /** Pass back to continue; undefined on the last page. */
  next: string | undefined;
}

export class ObjectStore {
  private readonly deadlines: CallDeadlines;

  constructor(
    private readonly client: S3Client,
    readonly bucket: string,
    callTimeoutMs: number,
  ) {
    this.deadlines = new CallDeadlines(callTimeoutMs, client);
  }

  /** The object's text and ETag, or undefined when there is no such key. */
  async getText(key: string, operation: string): Promise<StoredText | undefined> {
    try {
      // The body is read inside the call, so the timeout bounds it too.
      return await this.call(async (options) => {
        const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }), options);
        const text = (await out.Body?.transformToString('utf8')) ?? '';
        return { text, etag: out.ETag ?? '' };
      });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw unavailable(operation, err);
    }
  }

  /** The object's bytes, or undefined when there is no such key. */
  async getBytes(key: string, operation: string): Promise<Uint8Array | undefined> {
    try {
      return await this.call(async (options) => {
        const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }), options);
        return (await out.Body?.transformToByteArray()) ?? new Uint8Array();
      });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw unavailable(operation, err);
    }
  }

  async exists(key: string, operation: string): Promise<boolean> {
    return (await this.metadata(key, operation)) !== undefined;
  }

  /** The object's user metadata (`x-amz-meta-*`, lower-case keys), or undefined when there is no such key. */
  async metadata(key: string, operation: string): Promise<Record<string, string> | undefined> {
    try {
      const out = await this.call((options) =>
        this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }), options),
      );
      return out.Metadata ?? {};
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw unavailable(operation, err);
    }
  }

  /**
   * Writes the object; with a condition, resolves `'precondition-failed'` when S3 refused it because the
   * key changed (412), is being written concurrently (409) or, for `ifMatch`, no longer exists (404).
   */
  async put(
    key: string,
    body: string | Uint8Array,
    contentType: string,
    operation: string,
    condition?: WriteCondition,
    metadata?: Record<string, string>,
  ): Promise<{ etag: string } | 'precondition-failed'> {
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    try {
      const out = await this.call((options) =>
        this.client.send(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key: key,
            Body: bytes,
            ContentLength: bytes.length,
            ContentType: contentType,
            ...(metadata === undefined ? {} : { Metadata: metadata }),
            ...(condition === undefined
              ? {}
              : 'ifMatch' in condition
                ? { IfMatch: condition.ifMatch }
                : { IfNoneMatch: condition.ifNoneMatch }),
          }),
          options,
        ),
      );
      return { etag: out.ETag ?? '' };
    } catch (err) {
      if (condition !== undefined && isPreconditionFailure(err)) return 'precondition-failed';
      throw unavailable(operation, err);
    }
  }

  /**
   * Copies an object inside the bucket (a server-side copy: the bytes never pass through this process).
   * Resolves false when the source does not exist.
   */
  async copy(from: string, to: string, operation: string): Promise<boolean> {
    try {
      await this.call((options) =>
        this.client.send(
          new CopyObjectCommand({
            Bucket: this.bucket,
            Key: to,
            CopySource: `${this.bucket}/${from.split('/').map(encodeURIComponent).join('/')}`,
          }),
          options,
        ),
      );
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw unavailable(operation, err);
    }
  }

  /** Idempotent: deleting a missing key succeeds. */
  async delete(key: string, operation: string): Promise<void> {
    try {
      await this.call((options) =>
        this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }), options),
      );
    } catch (err) {
      if (isNotFound(err)) return;
      throw unavailable(operation, err);
    }
  }

  /** One page of keys under `prefix` in UTF-8 byte order. */
  async listKeys(
    prefix: string,
    operation: string,
    page: { startAfter?: string | undefined; next?: string; maxKeys?: number } = {},
  ): Promise<KeyPage> {
    try {
      const out = await this.call((options) =>
        this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: prefix,
            ...(page.next === undefined ? {} : { ContinuationToken: page.next }),
            ...(page.startAfter === undefined || page.next !== undefined
              ? {}
              : { StartAfter: page.startAfter }),
            ...(page.maxKeys === undefined ? {} : { MaxKeys: page.maxKeys }),
          }),
          options,
        ),
      );
      const keys = (out.Contents ?? []).flatMap((o) => (o.Key === undefined ? [] : [o.Key]));
      return { keys, next: out.IsTruncated ? out.NextContinuationToken : undefined };
    } catch (err) {
      throw unavailable(operation, err);
    }
  }

  /** Every key under `prefix` (for maintenance paths, never for a normal listing). */
  async listAllKeys(prefix: string, operation: string, startAfter?: string): Promise<string[]> {
    const keys: string[] = [];
    let next: string | undefined;
    do {
      const page = await this.listKeys(prefix, operation, next === undefined ? { startAfter } : { next });
      keys.push(...page.keys);
      next = page.next;
    } while (next !== undefined);
    return keys;
  }

  /** Runs one SDK call bounded by the call timeout (see `CallDeadlines`). */
  private async call<T>(send: (options: { abortSignal: CallSignal }) => Promise<T>): Promise<T> {
    // Bounds one call including the SDK's retries, whatever the client's own timeouts are.
    const abortSignal = this.deadlines.signal();
    try {
      return await send({ abortSignal });
    } finally {
      this.deadlines.done(abortSignal);
    }
  }
}

/**
 * The abort signal of one call: a DOM `AbortSignal`, or the SDK's plain `{ aborted, onabort }` signal that
 * its Node handlers also accept (`DeprecatedAbortSignal` of `@smithy/types`).
 */
type CallSignal = AbortSignal | PlainSignal;

interface PlainSignal {
  aborted: boolean;
  reason: unknown;
  onabort: ((...args: unknown[]) => unknown) | null;
  /** The calls of its window, to leave when the call ends. */
  readonly window: Set<PlainSignal>;
}

/**
 * Abort signals that bound each call to `timeoutMs` (up to `timeoutMs + window` at most): one timer per
 * window instead of one per call, so a busy process (one PUT per transcript append) does not pay a timer on
 * every call. The window is a tenth of the timeout, at most 1 s.
 *
 * With the SDK's Node handlers (HTTP/1.1 and HTTP/2), each call gets a plain `{ aborted, onabort }` signal
 * and the window's timer aborts the calls still running: adding and removing a listener on a DOM
 * `AbortSignal`, which the handler and the retry strategy do on every call, costs more CPU than the rest of
 * what the adapter adds to an append. Other handlers (fetch, which hands the signal to `fetch()` and so needs
 * a DOM `AbortSignal`) share one `AbortSignal` per window.
 */
class CallDeadlines {
  private readonly windowMs: number;
  private plain: boolean | undefined;
  private current:
    | { until: number; signal: AbortSignal; calls?: undefined }
    | { until: number; calls: Set<PlainSignal>; signal?: undefined }
    | undefined;

  constructor(
    private readonly timeoutMs: number,
    private readonly client: S3Client,
  ) {
    this.windowMs = Math.min(1_000, timeoutMs / 10);
  }

  signal(): CallSignal {
    const now = performance.now();
    let window = this.current;
    if (window === undefined || now >= window.until) window = this.open(now);
    if (window.calls === undefined) return window.signal;
    const call: PlainSignal = { aborted: false, reason: undefined, onabort: null, window: window.calls };
    window.calls.add(call);
    return call;
  }

  /** The call ended: a later timeout must not abort it. */
  done(signal: CallSignal): void {
    if ('window' in signal) signal.window.delete(signal);
  }

  private open(now: number): NonNullable<CallDeadlines['current']> {
    this.plain ??= acceptsPlainSignals(this.client);
    const reason = () => new DOMException('The S3 call did not finish in time', 'TimeoutError');
    let window: NonNullable<CallDeadlines['current']>;
    let abort: () => void;
    if (this.plain) {
      const calls = new Set<PlainSignal>();
      window = { until: now + this.windowMs, calls };
      abort = () => {
        const error = reason();
        for (const call of calls) {
          call.aborted = true;
          call.reason = error;
          call.onabort?.();
        }
        calls.clear();
      };
    } else {
      const controller = new AbortController();
      // Many calls in flight may listen to one signal (the SDK removes its listener when a call ends).
      setMaxListeners(0, controller.signal);
      window = { until: now + this.windowMs, signal: controller.signal };
      abort = () => controller.abort(reason());
    }
    setTimeout(abort, this.timeoutMs + this.windowMs).unref();
    this.current = window;
    return window;
  }
}

/** True for the SDK's Node handlers, which take `{ aborted, onabort }` signals (fetch needs a DOM one). */
function acceptsPlainSignals(client: S3Client): boolean {
  const handler = (client.config as { requestHandler?: { metadata?: { handlerProtocol?: unknown } } })
    .requestHandler;
  const protocol = handler?.metadata?.handlerProtocol;
  return protocol === 'http/1.1' || protocol === 'h2';
}

function statusOf(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

function nameOf(err: unknown): string | undefined {
  return (err as { name?: unknown } | undefined)?.name as string | undefined;
}

function isNotFound(err: unknown): boolean {
  const name = nameOf(err);
  return name === 'NoSuchKey' || name === 'NotFound' || (statusOf(err) === 404 && name !== 'NoSuchBucket');
}

function isPreconditionFailure(err: unknown): boolean {
  const status = statusOf(err);
  const name = nameOf(err);
  return (
    status === 412 ||
    name === 'PreconditionFailed' ||
    name === 'ConditionalRequestConflict' ||
    (status === 409 && name !== 'OperationAborted') ||
    isNotFound(err)
  );
}

function unavailable(operation: string, err: unknown): StorageUnavailableError {
  if (nameOf(err) === 'AbortError' || nameOf(err) === 'TimeoutError') {
    const timeout = new Error(`the S3 call did not finish in time (${describe(err)})`, { cause: err });
    return new StorageUnavailableError(BACKEND, operation, timeout);
  }
  return new StorageUnavailableError(BACKEND, operation, err);
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
