import { z } from 'zod';
import { KvError, type KvErrorCode } from '../errors.js';

/**
 * A decimal integer string as typed on a command line (an optional sign, no exponents or
 * fractions). The sign is accepted here so that `-5` gets the range message ("must be
 * positive"), not a misleading "must be a whole number".
 */
const integer = (message = 'must be a whole number') =>
  z
    .string()
    .trim()
    .regex(/^[+-]?\d+$/, message)
    .transform(Number);

const ttlSchema = integer('must be a whole number of milliseconds').pipe(
  z.number().int().min(1, 'must be positive (at least 1 ms)').max(Number.MAX_SAFE_INTEGER, 'is too large'),
);
const limitSchema = integer().pipe(z.number().int().min(1, 'must be positive (at least 1)').max(Number.MAX_SAFE_INTEGER, 'is too large'));
const recordsSchema = integer().pipe(z.number().int().min(1000, 'must be at least 1,000').max(2_000_000, 'must be at most 2,000,000'));
const seedSchema = integer().pipe(z.number().int().min(0, 'must not be negative').max(0xffffffff, 'must fit in 32 bits'));

/**
 * A malformed command-line argument (a bad number, for example). It is a {@link KvError} with the
 * usual code, so callers that switch on `code` still work; its class tells `nori-kv` to exit with
 * the usage exit code (2) like commander's own usage errors, not with 1 (a runtime failure).
 */
export class KvUsageError extends KvError {}

function parseWith<T>(schema: z.ZodType<T>, raw: string, what: string, code: KvErrorCode): T {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new KvUsageError(code, `${what} ${issue?.message ?? 'is invalid'} (got "${raw}")`);
}

/** Parses `--ttl`: a positive whole number of milliseconds. */
export function parseTtl(raw: string): number {
  return parseWith(ttlSchema, raw, '--ttl', 'ERR_INVALID_TTL');
}

/** Parses `--limit`: a positive whole number. */
export function parseLimit(raw: string): number {
  return parseWith(limitSchema, raw, '--limit', 'ERR_INVALID_ARGUMENT');
}

/** Parses `demo --records`. */
export function parseRecords(raw: string): number {
  return parseWith(recordsSchema, raw, '--records', 'ERR_INVALID_ARGUMENT');
}

/** Parses `demo --seed`. */
export function parseSeed(raw: string): number {
  return parseWith(seedSchema, raw, '--seed', 'ERR_INVALID_ARGUMENT');
}
