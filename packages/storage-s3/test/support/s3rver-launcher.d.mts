export const TEST_BUCKET: string;

export interface RunningS3rver {
  endpoint: string;
  port: number;
  bucket: string;
  dir: string;
  pid: number;
  stop(options?: { keepData?: boolean }): Promise<void>;
}

export function startS3rver(options?: {
  enforceConditionalWrites?: boolean;
  port?: number;
  dir?: string;
  bucket?: string;
}): Promise<RunningS3rver>;
