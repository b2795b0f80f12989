import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { ArchiveError } from '../errors.js';
import { validatePrefix } from '../keys.js';

/** Whole-call deadline (retries included) unless configured. */
export const DEFAULT_TIMEOUT_MS = 60_000;
/** TCP connect timeout unless configured. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
/** SDK attempts per call (first try plus retries) unless configured. */
export const DEFAULT_MAX_ATTEMPTS = 3;
/** S3's largest list page. */
export const MAX_LIST_PAGE_SIZE = 1000;

/** Static credentials or a provider function, as the AWS SDK takes them. */
export type S3Credentials = NonNullable<S3ClientConfig['credentials']>;

// S3 bucket naming rules (the subset that is valid everywhere: lowercase, digits, dots, hyphens).
const BUCKET_PATTERN = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

function isCredentials(value: unknown): boolean {
  if (typeof value === 'function') return true;
  const candidate = value as { accessKeyId?: unknown; secretAccessKey?: unknown } | null;
  return typeof candidate === 'object' && candidate !== null && typeof candidate.accessKeyId === 'string' && typeof candidate.secretAccessKey === 'string';
}

const positiveInt = z.number().int().positive();

const configSchema = z.strictObject({
  bucket: z.string().regex(BUCKET_PATTERN, 'must be a valid S3 bucket name'),
  prefix: z.string().optional(),
  endpoint: z.url({ protocol: /^https?$/ }).optional(),
  region: z.string().min(1).optional(),
  forcePathStyle: z.boolean().optional(),
  credentials: z.custom<S3Credentials>(isCredentials, 'must be { accessKeyId, secretAccessKey } or a provider function').optional(),
  timeoutMs: positiveInt.optional(),
  connectTimeoutMs: positiveInt.optional(),
  maxAttempts: positiveInt.max(10).optional(),
  listPageSize: positiveInt.max(MAX_LIST_PAGE_SIZE).optional(),
  serverChecksum: z.enum(['CRC32C', 'off']).optional(),
  client: z.custom<S3Client>((value) => value instanceof S3Client, 'must be an S3Client').optional(),
});

/** Configuration of {@link S3ObjectStore}; validated when the store is made (`ERR_CONFIG`). */
export interface S3ObjectStoreConfig {
  /** The bucket; it must exist (`ERR_CONFIG` on first use otherwise). */
  bucket: string;
  /** Prepended to every key inside the bucket, e.g. `"wal/cluster-1/"` (default none). */
  prefix?: string | undefined;
  /** Endpoint URL of an S3-compatible store (Ceph RGW, MinIO, ...); default: AWS. */
  endpoint?: string | undefined;
  /** Region; default `AWS_REGION`, then `AWS_DEFAULT_REGION`, then `us-east-1`. */
  region?: string | undefined;
  /** `https://host/bucket/key` URLs instead of `https://bucket.host/key` (needed by most self-hosted stores). */
  forcePathStyle?: boolean | undefined;
  /** Credentials; default: the AWS SDK's standard provider chain (environment, profile, SSO, instance role...). */
  credentials?: S3Credentials | undefined;
  /** Deadline of each call including the SDK's retries (default 60 s): `ERR_TIMEOUT`. */
  timeoutMs?: number | undefined;
  /** TCP connect timeout (default 5 s). */
  connectTimeoutMs?: number | undefined;
  /** SDK attempts per call, first try included (default 3, at most 10). */
  maxAttempts?: number | undefined;
  /** Keys per list request (default and maximum 1000). */
  listPageSize?: number | undefined;
  /**
   * `'CRC32C'`: also send the CRC32C as S3's `x-amz-checksum-crc32c`, so the server checks the
   * upload itself (AWS S3 and recent MinIO do; Ceph RGW before Squid ignores it). Default `'off'`.
   * The CRC32C in the object's metadata is always written and checked either way.
   */
  serverChecksum?: 'CRC32C' | 'off' | undefined;
  /** A ready S3 client (then endpoint, region, credentials and timeouts above are not used). */
  client?: S3Client | undefined;
}

/** A validated configuration with its defaults filled in. */
export interface ResolvedS3Config {
  bucket: string;
  prefix: string;
  timeoutMs: number;
  listPageSize: number;
  serverChecksum: 'CRC32C' | 'off';
  client: S3Client;
}

/** Describes zod issues by path and message only, so no configured value (a secret) is echoed. */
function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(config)'}: ${issue.message}`).join('; ');
}

function defaultRegion(): string {
  return process.env['AWS_REGION'] || process.env['AWS_DEFAULT_REGION'] || 'us-east-1';
}

function makeClient(config: z.infer<typeof configSchema>): S3Client {
  return new S3Client({
    region: config.region ?? defaultRegion(),
    ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }),
    ...(config.credentials === undefined ? {} : { credentials: config.credentials }),
    forcePathStyle: config.forcePathStyle ?? false,
    maxAttempts: config.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    // The SDK's default (WHEN_SUPPORTED) adds CRC32 trailers that many S3 clones refuse; we send
    // our own CRC32C header when asked to (serverChecksum) and check our metadata on reads.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: { connectionTimeout: config.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS },
  });
}

/** Validates `config` (`ERR_CONFIG`, naming fields but never values) and fills in defaults. */
export function resolveS3Config(config: S3ObjectStoreConfig): ResolvedS3Config {
  const parsed = configSchema.safeParse(config);
  if (!parsed.success) throw new ArchiveError('ERR_CONFIG', `invalid S3ObjectStore config: ${describeIssues(parsed.error)}`);
  const value = parsed.data;
  const prefix = value.prefix ?? '';
  try {
    validatePrefix(prefix);
  } catch (error) {
    throw new ArchiveError('ERR_CONFIG', `invalid S3ObjectStore config: prefix: ${(error as Error).message}`, { cause: error });
  }
  return {
    bucket: value.bucket,
    prefix,
    timeoutMs: value.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    listPageSize: value.listPageSize ?? MAX_LIST_PAGE_SIZE,
    serverChecksum: value.serverChecksum ?? 'off',
    client: value.client ?? makeClient(value),
  };
}
