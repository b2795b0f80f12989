import { DEFAULT_MAX_RECORD_SIZE, MIN_RECORD_SIZE } from '@nori/codec';
import { NodeFileStorage, type Storage } from '@nori/storage';
import { WalError } from './errors.js';
import { isAbortSignal } from './options.js';
import { DEFAULT_RECOVERY_MODE } from './recovery-policy.js';
import type { FsyncPolicy, RecoveryMode, WalConfig, WalObserver } from './types.js';
import { MAX_RECORD_SIZE_LIMIT } from './record-limit.js';

/** Default segment size, as Rust nori-wal: 128 MiB. */
export const DEFAULT_MAX_SEGMENT_SIZE = 128 * 1024 * 1024;
/** Smallest accepted segment size (Rust's own SegmentManager accepts 4 KiB segments). */
export const MIN_SEGMENT_SIZE = 1024;
/** Largest accepted segment size (offsets stay exact doubles and preallocation stays sane). */
export const MAX_SEGMENT_SIZE = 64 * 1024 * 1024 * 1024;
export { MAX_RECORD_SIZE_LIMIT };
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

/** One shape key: its validator returns the problems (empty when the value is valid or absent). */
type FieldCheck = (value: unknown) => string[];

/**
 * The messages below are a public contract (tests and users match them), and so is which of them
 * appear together: the rules follow the zod schema this replaced (see test/config.test.ts, which
 * compares both). zod cost ~150 ms of cold start per process, for 10 fields.
 */
interface NumberRules {
  /** Name used in messages, e.g. `maxSegmentSize` or `fsync.maxBytes`. */
  what: string;
  typeMessage: string;
  integer: boolean;
  bounds: ReadonlyArray<{ ok: (n: number) => boolean; message: string }>;
}

/** A number: wrong type or non-integer stops there; range problems are all reported. */
function numberProblems(value: unknown, rules: NumberRules): string[] {
  if (typeof value !== 'number' || !Number.isFinite(value)) return [rules.typeMessage];
  const problems: string[] = [];
  if (rules.integer) {
    const integerMessage = `${rules.what} must be an integer`;
    if (!Number.isInteger(value)) return [integerMessage];
    if (!Number.isSafeInteger(value)) problems.push(integerMessage);
  }
  for (const bound of rules.bounds) if (!bound.ok(value)) problems.push(bound.message);
  return problems;
}

function positiveInt(what: string, bounds: NumberRules['bounds']): NumberRules {
  return { what, typeMessage: `${what} must be a number`, integer: true, bounds };
}

const optional =
  (check: FieldCheck): FieldCheck =>
  (value) =>
    value === undefined ? [] : check(value);

const booleanField = (message: string): FieldCheck => optional((v) => (typeof v === 'boolean' ? [] : [message]));

const FSYNC_STRINGS: ReadonlySet<unknown> = new Set(['always', 'os', 'batch']);
const FSYNC_MESSAGE = "fsync must be 'always', 'os', 'batch', { kind: 'always' }, { kind: 'os' } or { kind: 'batch', windowMs, maxBytes? }";
const MAX_BATCH_WINDOW_MS = 3_600_000;
const BATCH_KEYS: ReadonlySet<string> = new Set(['kind', 'windowMs', 'maxBytes']);
const KIND_ONLY_KEYS: ReadonlySet<string> = new Set(['kind']);
const WINDOW_MS_RULES: NumberRules = {
  what: 'fsync.windowMs',
  typeMessage: 'fsync.windowMs must be a number of milliseconds',
  integer: false,
  bounds: [
    { ok: (n) => n > 0, message: 'fsync.windowMs must be > 0' },
    { ok: (n) => n <= MAX_BATCH_WINDOW_MS, message: 'fsync.windowMs must be <= 3600000 (one hour)' },
  ],
};
const MAX_BYTES_RULES = positiveInt('fsync.maxBytes', [{ ok: (n) => n > 0, message: 'fsync.maxBytes must be > 0' }]);

/** A plain object (not null, not an array), as the config and the fsync object must be. */
function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Enumerable keys (inherited ones too, like `for...in`) not in `allowed`. */
function unknownKeys(value: Record<string, unknown>, allowed: ReadonlySet<string>): string[] {
  const extra: string[] = [];
  for (const key in value) if (!allowed.has(key)) extra.push(key);
  return extra;
}

/** zod's wording for keys a strict object does not know, which the message keeps. */
function unrecognizedKeysMessage(keys: readonly string[]): string {
  return `Unrecognized key${keys.length > 1 ? 's' : ''}: ${keys.map((k) => `"${k}"`).join(', ')}`;
}

/**
 * The fsync policy. An object whose `kind` is known (and, for 'batch', whose numbers have the
 * right type) gets its own problems reported; anything else gets the one summary message.
 */
function fsyncProblems(value: unknown): string[] {
  if (FSYNC_STRINGS.has(value)) return [];
  if (!isRecord(value)) return [FSYNC_MESSAGE];
  const kind = value['kind'];
  if (kind !== 'always' && kind !== 'os' && kind !== 'batch') return [FSYNC_MESSAGE];
  const problems: string[] = [];
  if (kind === 'batch') {
    const windowMs = value['windowMs'];
    const maxBytes = value['maxBytes'];
    if (typeof windowMs !== 'number' || !Number.isFinite(windowMs)) return [FSYNC_MESSAGE];
    const maxBytesIsInteger = typeof maxBytes === 'number' && Number.isInteger(maxBytes);
    if (maxBytes !== undefined && !maxBytesIsInteger) return [FSYNC_MESSAGE];
    problems.push(...numberProblems(windowMs, WINDOW_MS_RULES));
    if (maxBytes !== undefined) problems.push(...numberProblems(maxBytes, MAX_BYTES_RULES));
  }
  const extra = unknownKeys(value, kind === 'batch' ? BATCH_KEYS : KIND_ONLY_KEYS);
  if (extra.length > 0) problems.push(`fsync: ${unrecognizedKeysMessage(extra)}`);
  return problems;
}

const RECOVERY_MODES: ReadonlySet<unknown> = new Set(['tolerate-tail', 'point-in-time', 'strict', 'salvage']);

function isStorage(value: unknown): value is Storage {
  return typeof value === 'object' && value !== null && typeof (value as Storage).open === 'function' && typeof (value as Storage).list === 'function';
}

/** Validators in report order (the order problems appear in the message). */
const FIELDS: ReadonlyArray<readonly [keyof WalConfig, FieldCheck]> = [
  [
    'dir',
    optional((v) => {
      const problems = typeof v === 'string' ? [] : ['dir must be a string path'];
      // As zod did, the emptiness check runs on anything with a length (an array, a function).
      const length = v === null ? undefined : (v as { length?: unknown }).length;
      if (length !== undefined && !((length as number) >= 1)) problems.push('dir must not be empty');
      return problems;
    }),
  ],
  ['storage', optional((v) => (isStorage(v) ? [] : ['storage must implement the @nori/storage Storage interface']))],
  [
    'maxSegmentSize',
    optional((v) =>
      numberProblems(
        v,
        positiveInt('maxSegmentSize', [
          { ok: (n) => n >= MIN_SEGMENT_SIZE, message: `maxSegmentSize must be >= ${MIN_SEGMENT_SIZE} bytes` },
          { ok: (n) => n <= MAX_SEGMENT_SIZE, message: `maxSegmentSize must be <= ${MAX_SEGMENT_SIZE} bytes (64 GiB)` },
        ]),
      ),
    ),
  ],
  ['fsync', optional(fsyncProblems)],
  ['preallocate', booleanField('preallocate must be a boolean')],
  ['recovery', optional((v) => (RECOVERY_MODES.has(v) ? [] : ["recovery must be 'tolerate-tail', 'point-in-time', 'strict' or 'salvage'"]))],
  [
    'maxRecordSize',
    optional((v) =>
      numberProblems(
        v,
        positiveInt('maxRecordSize', [
          { ok: (n) => n >= MIN_RECORD_SIZE, message: `maxRecordSize must be >= ${MIN_RECORD_SIZE}` },
          {
            ok: (n) => n <= MAX_RECORD_SIZE_LIMIT,
            message: `maxRecordSize must be <= ${MAX_RECORD_SIZE_LIMIT} bytes (1 GiB)`,
          },
        ]),
      ),
    ),
  ],
  ['maxQueuedBytes', optional((v) => numberProblems(v, positiveInt('maxQueuedBytes', [{ ok: (n) => n > 0, message: 'maxQueuedBytes must be > 0' }])))],
  ['readOnly', booleanField('readOnly must be a boolean')],
  ['observer', optional((v) => (typeof v === 'object' && v !== null ? [] : ['observer must be an object']))],
  ['signal', optional((v) => (isAbortSignal(v) ? [] : ['signal must be an AbortSignal']))],
];
const FIELD_NAMES: ReadonlySet<string> = new Set(FIELDS.map(([name]) => name));

/** Every problem of `config`, in the order the message lists them. */
function configProblems(config: object): string[] {
  if (!isRecord(config)) return ['Invalid input: expected object, received array'];
  const problems: string[] = [];
  for (const [name, check] of FIELDS) problems.push(...check(config[name]));
  const extra = unknownKeys(config, FIELD_NAMES);
  if (extra.length > 0) problems.push(unrecognizedKeysMessage(extra));
  return problems;
}

function normalisePolicy(policy: WalConfig['fsync']): FsyncPolicy {
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
  const problems = configProblems(config);
  if (problems.length > 0) throw new WalError('ERR_CONFIG', `invalid WAL config: ${problems.join('; ')}`);
  const c = config;
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
    recovery: c.recovery ?? DEFAULT_RECOVERY_MODE,
    maxRecordSize,
    maxQueuedBytes: c.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES,
    readOnly: c.readOnly ?? false,
    observer: c.observer,
    signal: c.signal,
  };
}
