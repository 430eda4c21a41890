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
    this.deadlines = new CallDeadlines(callTimeoutMs);
  }

  /** The object's text and ETag, or undefined when there is no such key. */
  async getText(key: string, operation: string): Promise<StoredText | undefined> {
    try {
      const out = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: key }),
        this.sendOptions(),
      );
      const text = (await out.Body?.transformToString('utf8')) ?? '';
      return { text, etag: out.ETag ?? '' };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw unavailable(operation, err);
    }
  }

  /** The object's bytes, or undefined when there is no such key. */
  async getBytes(key: string, operation: string): Promise<Uint8Array | undefined> {
    try {
      const out = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: key }),
        this.sendOptions(),
      );
      return (await out.Body?.transformToByteArray()) ?? new Uint8Array();
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
      const out = await this.client.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: key }),
        this.sendOptions(),
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
      const out = await this.client.send(
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
        this.sendOptions(),
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
      await this.client.send(
        new CopyObjectCommand({
          Bucket: this.bucket,
          Key: to,
          CopySource: `${this.bucket}/${from.split('/').map(encodeURIComponent).join('/')}`,
        }),
        this.sendOptions(),
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
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }), this.sendOptions());
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
      const out = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: prefix,
          ...(page.next === undefined ? {} : { ContinuationToken: page.next }),
          ...(page.startAfter === undefined || page.next !== undefined
            ? {}
            : { StartAfter: page.startAfter }),
          ...(page.maxKeys === undefined ? {} : { MaxKeys: page.maxKeys }),
        }),
        this.sendOptions(),
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

  private sendOptions(): { abortSignal: AbortSignal } {
    // Bounds one call including the SDK's retries, whatever the client's own timeouts are.
    return { abortSignal: this.deadlines.signal() };
  }
}

/**
 * Abort signals that bound each call to `timeoutMs` (up to `timeoutMs + window` at most), shared by the calls
 * that start in the same window: one timer per window instead of one per call, so a busy process (one PUT
 * per transcript append) does not pay a timer and a signal on every call. The window is a tenth of the
 * timeout, at most 1 s.
 */
class CallDeadlines {
  private readonly windowMs: number;
  private current: { signal: AbortSignal; until: number } | undefined;

  constructor(private readonly timeoutMs: number) {
    this.windowMs = Math.min(1_000, timeoutMs / 10);
  }

  signal(): AbortSignal {
    const now = performance.now();
    const current = this.current;
    if (current !== undefined && now < current.until) return current.signal;
    const controller = new AbortController();
    // Many calls in flight may listen to one signal (the SDK removes its listener when a call ends).
    setMaxListeners(0, controller.signal);
    const timer = setTimeout(
      () => controller.abort(new DOMException('The S3 call did not finish in time', 'TimeoutError')),
      this.timeoutMs + this.windowMs,
    );
    timer.unref();
    this.current = { signal: controller.signal, until: now + this.windowMs };
    return controller.signal;
  }
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
