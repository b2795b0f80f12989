import { DEFAULT_MAX_RECORD_SIZE, MIN_RECORD_SIZE } from '@nori/codec';
import { MemoryStorage, type Storage } from '@nori/storage';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MAX_RECORD_SIZE_LIMIT, MAX_SEGMENT_SIZE, MIN_SEGMENT_SIZE, resolveConfig } from '../src/config.js';
import { WalError } from '../src/errors.js';
import type { WalConfig, WalObserver } from '../src/types.js';

/*
 * resolveConfig used to validate with this zod schema; zod cost ~150 ms of cold start, so the
 * package now validates by hand. Which messages appear, in which order, is part of the contract:
 * this test keeps the old schema (zod is a devDependency only) and compares both on random and
 * edge-case configs.
 */
const positiveInt = (what: string) => z.number({ error: `${what} must be a number` }).int({ error: `${what} must be an integer` });

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
      .custom<Storage>((v) => typeof v === 'object' && v !== null && typeof (v as Storage).open === 'function' && typeof (v as Storage).list === 'function', {
        error: 'storage must implement the @nori/storage Storage interface',
      })
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
    observer: z.custom<WalObserver>((v) => typeof v === 'object' && v !== null, { error: 'observer must be an object' }).optional(),
    signal: z.custom<AbortSignal>((v) => v instanceof AbortSignal, { error: 'signal must be an AbortSignal' }).optional(),
  })
  .strict();

/** The message the zod-based resolveConfig produced for `config`, or undefined if it was valid. */
function zodMessage(config: object): string | undefined {
  const parsed = configSchema.safeParse(config);
  if (parsed.success) return undefined;
  const problems = parsed.error.issues.map((issue) => {
    const path = issue.path.join('.');
    return path === '' || issue.message.startsWith(path) ? issue.message : `${path}: ${issue.message}`;
  });
  return `invalid WAL config: ${problems.join('; ')}`;
}

/** The message of the hand-written validator, or undefined if validation passed. */
function handMessage(config: object): string | undefined {
  try {
    resolveConfig(config);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(WalError);
    expect((error as WalError).code).toBe('ERR_CONFIG');
    const message = (error as WalError).message;
    // Both-or-neither of dir/storage is checked after the schema; the schema itself passed.
    return message.includes('give either') ? undefined : message;
  }
}

const storage = new MemoryStorage();
const edgeNumbers = [
  0,
  -0,
  -1,
  0.5,
  1,
  3,
  MIN_RECORD_SIZE,
  MIN_RECORD_SIZE - 1,
  1023,
  MIN_SEGMENT_SIZE,
  1500.5,
  4096,
  DEFAULT_MAX_RECORD_SIZE,
  MAX_RECORD_SIZE_LIMIT,
  MAX_RECORD_SIZE_LIMIT + 1,
  MAX_SEGMENT_SIZE,
  MAX_SEGMENT_SIZE + 1,
  3_600_000,
  3_600_000.5,
  2 ** 53,
  -(2 ** 53),
  1e300,
  -1e300,
  Number.NaN,
  Infinity,
  -Infinity,
];
const anyValue = fc.oneof(
  fc.constantFrom<unknown>(...edgeNumbers, undefined, null, '', 'x', 'always', 'os', 'batch', 'strict', true, false),
  fc.constantFrom<unknown>([], {}, storage, () => 0),
  fc.double(),
  fc.integer(),
  fc.string({ maxLength: 4 }),
);
const fsyncValue = fc.oneof(
  anyValue,
  fc.record(
    {
      kind: fc.oneof(fc.constantFrom<unknown>('always', 'os', 'batch'), anyValue),
      windowMs: anyValue,
      maxBytes: anyValue,
      extra: anyValue,
    },
    { requiredKeys: [] },
  ),
);
const configValue = fc.record(
  {
    dir: fc.oneof(fc.constant('/tmp/nori-config-test'), anyValue),
    storage: fc.oneof(fc.constant(storage), anyValue),
    maxSegmentSize: anyValue,
    fsync: fsyncValue,
    preallocate: anyValue,
    recovery: fc.oneof(fc.constantFrom<unknown>('tolerate-tail', 'point-in-time', 'strict', 'salvage'), anyValue),
    maxRecordSize: anyValue,
    maxQueuedBytes: anyValue,
    readOnly: anyValue,
    observer: fc.oneof(fc.constant<WalObserver>({}), anyValue),
    signal: fc.oneof(fc.constant(new AbortController().signal), anyValue),
    bogus: anyValue,
    other: anyValue,
  },
  { requiredKeys: [] },
);

describe('resolveConfig validation (same messages as the zod schema it replaced)', () => {
  it('matches zod on random configs', () => {
    fc.assert(
      fc.property(configValue, (config) => {
        expect(handMessage(config)).toBe(zodMessage(config));
      }),
      { numRuns: 3000, seed: 20240607 },
    );
  });

  it.each<[string, object]>([
    ['an array', []],
    ['unknown keys', { storage, a: 1, b: 2 }],
    ['a batch policy out of range', { storage, fsync: { kind: 'batch', windowMs: -1, maxBytes: 2 ** 60 } }],
    ['a batch policy with a fractional maxBytes', { storage, fsync: { kind: 'batch', windowMs: 5, maxBytes: 1.5 } }],
    ['a batch policy without windowMs', { storage, fsync: { kind: 'batch' } }],
    ['an os policy with extra keys', { storage, fsync: { kind: 'os', windowMs: 5 } }],
    ['a fractional and too small segment size', { storage, maxSegmentSize: 10.5 }],
    ['an unsafe integer segment size', { storage, maxSegmentSize: 2 ** 60 }],
    ['many problems at once', { dir: '', maxRecordSize: 2, maxQueuedBytes: 0, readOnly: 1, observer: 3, x: 1 }],
    ['inherited keys', Object.create({ inherited: 1, fsync: 'never' }) as object],
  ])('matches zod on %s', (_name, config) => {
    const expected = zodMessage(config);
    expect(expected).toBeDefined();
    expect(handMessage(config)).toBe(expected);
  });

  it('accepts every policy form and applies the defaults', () => {
    const forms: Array<[WalConfig['fsync'], unknown]> = [
      ['always', { kind: 'always' }],
      [{ kind: 'os' }, { kind: 'os' }],
      [
        { kind: 'batch', windowMs: 2, maxBytes: 10 },
        { kind: 'batch', windowMs: 2, maxBytes: 10 },
      ],
      [undefined, { kind: 'batch', windowMs: 5 }],
    ];
    for (const [fsync, expected] of forms) {
      const resolved = resolveConfig(fsync === undefined ? { storage } : { storage: storage, fsync });
      expect(resolved.fsync).toEqual(expected);
      expect(resolved.maxRecordSize).toBe(DEFAULT_MAX_RECORD_SIZE);
    }
  });
});
