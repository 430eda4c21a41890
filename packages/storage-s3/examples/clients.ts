import { S3Client } from '@aws-sdk/client-s3';

/** AWS S3: region and credentials come from the environment (AWS_REGION, an IAM role, a profile, …). */
export function awsClient(): S3Client {
  return new S3Client({
    maxAttempts: 4, // the SDK's standard retry strategy: throttling, 5xx and connection errors, with backoff
    requestHandler: { connectionTimeout: 3_000, requestTimeout: 10_000 }, // per attempt, in milliseconds
  });
}

/** MinIO, Cloudflare R2 and other S3-compatible servers. */
export function compatibleClient(endpoint: string, accessKeyId: string, secretAccessKey: string): S3Client {
  return new S3Client({
    endpoint, // MinIO: 'http://minio.internal:9000'; R2: 'https://<account-id>.r2.cloudflarestorage.com'
    region: 'us-east-1', // R2: 'auto'
    forcePathStyle: true, // bucket in the path, not in the host name
    credentials: { accessKeyId, secretAccessKey },
    // Only checksums the operation requires: servers that predate the SDK's default CRC checksums
    // (older MinIO, some S3 emulators) store streamed bodies wrongly otherwise.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 4,
    requestHandler: { connectionTimeout: 3_000, requestTimeout: 10_000 },
  });
}
