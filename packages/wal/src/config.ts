import { z } from 'zod';
import { DEFAULT_MAX_RECORD_SIZE, MIN_RECORD_SIZE } from '@nori/codec';
import { NodeFileStorage, type Storage } from '@nori/storage';
import { WalError } from './errors.js';
import { isAbortSignal } from './options.js';
import type { FsyncPolicy, RecoveryMode, WalConfig, WalObserver } from './types.js';

/** Default segment size, as Rust nori-wal: 128 MiB. */
export const DEFAULT_MAX_SEGMENT_SIZE = 128 * 1024 * 1024;
/** Smallest accepted segment size (Rust's own SegmentManager accepts 4 KiB segments). */
export const MIN_SEGMENT_SIZE = 1024;
/** Largest accepted segment size (offsets stay exact doubles and preallocation stays sane). */
export const MAX_SEGMENT_SIZE = 64 * 1024 * 1024 * 1024;
/** Largest accepted `maxRecordSize` (a record is read into one buffer). */
export const MAX_RECORD_SIZE_LIMIT = 1024 * 1024 * 1024;
/** Default batch window, as Rust nori-wal: 5 ms. */
export const DEFAULT_BATCH_WINDOW_MS = 5;
/** Default backpressure bound: 64 MiB of encoded records waiting for the writer. */
export const DEFAULT_MAX_QUEUED_BYTES = 64 * 1024 * 1024;

/** A validated configuration with every default applied. */
export interface ResolvedConfig {
  storage: Storage;
  maxSegmentSize: number;
  fsync: FsyncPolicy;
  preallocate: boolean;
  recovery: RecoveryMode;
  maxRecordSize: number;
  maxQueuedBytes: number;
  readOnly: boolean;
  observer: WalObserver | undefined;
  signal: AbortSignal | undefined;
}

const positiveInt = (what: string) =>
  z.number({ error: `${what} must be a number` }).int({ error: `${what} must be an integer` });

const policySchema = z.union(
  [
    z.literal(['always', 'os', 'batch']),
    z.object({ kind: z.literal('always') }).strict(),
    z.object({ kind: z.literal('os') }).strict(),
    z
      .object({
        kind: z.literal('batch'),
        windowMs: z
          .number({ error: 'fsync.windowMs must be a number of milliseconds' })
          .positive({ error: 'fsync.windowMs must be > 0' })
          .max(3_600_000, { error: 'fsync.windowMs must be <= 3600000 (one hour)' }),
        maxBytes: positiveInt('fsync.maxBytes').positive({ error: 'fsync.maxBytes must be > 0' }).optional(),
      })
      .strict(),
  ],
  {
    error: "fsync must be 'always', 'os', 'batch', { kind: 'always' }, { kind: 'os' } or { kind: 'batch', windowMs, maxBytes? }",
  },
);

const configSchema = z
  .object({
    dir: z.string({ error: 'dir must be a string path' }).min(1, { error: 'dir must not be empty' }).optional(),
    storage: z
      .custom<Storage>(
        (v) =>
          typeof v === 'object' &&
          v !== null &&
          typeof (v as Storage).open === 'function' &&
          typeof (v as Storage).list === 'function',
        { error: 'storage must implement the @nori/storage Storage interface' },
      )
      .optional(),
    maxSegmentSize: positiveInt('maxSegmentSize')
      .min(MIN_SEGMENT_SIZE, { error: `maxSegmentSize must be >= ${MIN_SEGMENT_SIZE} bytes` })
      .max(MAX_SEGMENT_SIZE, { error: `maxSegmentSize must be <= ${MAX_SEGMENT_SIZE} bytes (64 GiB)` })
      .optional(),
    fsync: policySchema.optional(),
    preallocate: z.boolean({ error: 'preallocate must be a boolean' }).optional(),
    recovery: z
      .enum(['tolerate-tail', 'point-in-time', 'strict', 'salvage'], {
        error: "recovery must be 'tolerate-tail', 'point-in-time', 'strict' or 'salvage'",
      })
      .optional(),
    maxRecordSize: positiveInt('maxRecordSize')
      .min(MIN_RECORD_SIZE, { error: `maxRecordSize must be >= ${MIN_RECORD_SIZE}` })
      .max(MAX_RECORD_SIZE_LIMIT, { error: `maxRecordSize must be <= ${MAX_RECORD_SIZE_LIMIT} bytes (1 GiB)` })
      .optional(),
    maxQueuedBytes: positiveInt('maxQueuedBytes').positive({ error: 'maxQueuedBytes must be > 0' }).optional(),
    readOnly: z.boolean({ error: 'readOnly must be a boolean' }).optional(),
    observer: z
      .custom<WalObserver>((v) => typeof v === 'object' && v !== null, { error: 'observer must be an object' })
      .optional(),
    signal: z.custom<AbortSignal>(isAbortSignal, { error: 'signal must be an AbortSignal' }).optional(),
  })
  .strict();

function normalisePolicy(policy: z.infer<typeof policySchema> | undefined): FsyncPolicy {
  if (policy === undefined || policy === 'batch') return { kind: 'batch', windowMs: DEFAULT_BATCH_WINDOW_MS };
  if (policy === 'always') return { kind: 'always' };
  if (policy === 'os') return { kind: 'os' };
  if (policy.kind === 'batch') {
    return policy.maxBytes === undefined
      ? { kind: 'batch', windowMs: policy.windowMs }
      : { kind: 'batch', windowMs: policy.windowMs, maxBytes: policy.maxBytes };
  }
  return { kind: policy.kind };
}

/**
 * Validates a `WalConfig` and applies the defaults.
 * @throws WalError `ERR_CONFIG` with every problem listed in the message.
 */
export function resolveConfig(config: WalConfig): ResolvedConfig {
  if (typeof config !== 'object' || config === null) {
    throw new WalError('ERR_CONFIG', 'invalid WAL config: expected an object with `dir` or `storage`');
  }
  const parsed = configSchema.safeParse(config);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const path = issue.path.join('.');
      return path === '' || issue.message.startsWith(path) ? issue.message : `${path}: ${issue.message}`;
    });
    throw new WalError('ERR_CONFIG', `invalid WAL config: ${problems.join('; ')}`, { cause: parsed.error });
  }
  const c = parsed.data;
  if (c.dir === undefined && c.storage === undefined) {
    throw new WalError('ERR_CONFIG', 'invalid WAL config: give either `dir` (a directory path) or `storage`');
  }
  if (c.dir !== undefined && c.storage !== undefined) {
    throw new WalError('ERR_CONFIG', 'invalid WAL config: give either `dir` or `storage`, not both');
  }
  const maxRecordSize = c.maxRecordSize ?? DEFAULT_MAX_RECORD_SIZE;
  return {
    // Sparse preallocation is instant like Rust's fallocate(); writing 128 MiB of zeros per
    // segment would double the disk writes. Pass a NodeFileStorage with preallocate: 'zeros'
    // to reserve blocks up front.
    storage: c.storage ?? new NodeFileStorage(c.dir as string, { preallocate: 'sparse' }),
    maxSegmentSize: c.maxSegmentSize ?? DEFAULT_MAX_SEGMENT_SIZE,
    fsync: normalisePolicy(c.fsync),
    preallocate: c.preallocate ?? true,
    recovery: c.recovery ?? 'tolerate-tail',
    maxRecordSize,
    maxQueuedBytes: c.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES,
    readOnly: c.readOnly ?? false,
    observer: c.observer,
    signal: c.signal,
  };
}
