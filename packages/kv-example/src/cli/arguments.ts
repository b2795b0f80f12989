import { z } from 'zod';
import { KvError, type KvErrorCode } from '../errors.js';

/** A decimal integer string, as typed on a command line (no signs, exponents or fractions). */
const digits = z.string().trim().regex(/^\d+$/, 'must be a whole number');

const ttlSchema = digits.transform(Number).pipe(z.number().int().min(1, 'must be at least 1 ms').max(Number.MAX_SAFE_INTEGER, 'is too large'));
const limitSchema = digits.transform(Number).pipe(z.number().int().min(1, 'must be at least 1').max(Number.MAX_SAFE_INTEGER, 'is too large'));
const recordsSchema = digits.transform(Number).pipe(z.number().int().min(1000, 'must be at least 1,000').max(2_000_000, 'must be at most 2,000,000'));
const seedSchema = digits.transform(Number).pipe(z.number().int().max(0xffffffff, 'must fit in 32 bits'));

function parseWith<T>(schema: z.ZodType<T>, raw: string, what: string, code: KvErrorCode): T {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new KvError(code, `${what} ${issue?.message ?? 'is invalid'} (got "${raw}")`);
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
