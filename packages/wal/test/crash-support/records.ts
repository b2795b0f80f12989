import type { RecordInput } from '@nori/codec';
import type { WalEntry } from '../../src/index.js';

/** Shapes the records of a workload: every record is a pure function of its id and the profile. */
export interface RecordProfile {
  /** Largest value of an ordinary record, in bytes. */
  maxValue: number;
  /** One record in `bigEvery` (by id hash) gets a value of `bigValue` bytes (0 = never). */
  bigEvery: number;
  bigValue: number;
}

/** Small records, small segments: many rotations per workload. */
export const SMALL_RECORDS: RecordProfile = { maxValue: 120, bigEvery: 0, bigValue: 0 };

/** Records the SIGKILL child writes (the parent verifies content with the same profile). */
export const KILL_PROFILE: RecordProfile = { maxValue: 200, bigEvery: 0, bigValue: 0 };

function mix(id: number): number {
  let h = Math.imul(id ^ 0x27d4eb2d, 0x165667b1) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
  return (h ^ (h >>> 13)) >>> 0;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The key that carries the record id (`r<id>`). */
export function keyOf(id: number): string {
  return `r${id}`;
}

function valueLength(id: number, profile: RecordProfile): number {
  const h = mix(id);
  if (profile.bigEvery > 0 && h % profile.bigEvery === 0) return profile.bigValue;
  return (h >>> 8) % (profile.maxValue + 1);
}

function valueByte(id: number, i: number): number {
  return (Math.imul(id, 131) + Math.imul(i, 7) + (i >>> 8)) & 0xff;
}

/**
 * The record with id `id`: key `r<id>`, a value derived from the id, some tombstones, ttls and
 * lz4-compressed values (lz4 always has a backend: the pure-JS fallback).
 */
export function recordFor(id: number, profile: RecordProfile): RecordInput {
  const h = mix(id);
  const length = valueLength(id, profile);
  const value = new Uint8Array(length);
  for (let i = 0; i < length; i++) value[i] = valueByte(id, i);
  const record: RecordInput = { key: keyOf(id), value };
  if (h % 11 === 0) record.tombstone = true;
  if (h % 7 === 0) record.ttlMs = BigInt(id) * 1000n;
  if (h % 9 === 4) record.compression = 'lz4';
  return record;
}

/**
 * Maps a recovered entry back to its record id, or explains why it is not a record this harness
 * wrote (garbage key, or key/value/flags that differ from what `recordFor` produced).
 */
export function identify(
  entry: Pick<WalEntry, 'key' | 'value' | 'tombstone' | 'ttlMs' | 'compression'>,
  profile: RecordProfile,
): { id: number } | { error: string } {
  const key = decoder.decode(entry.key);
  const match = /^r(\d{1,15})$/.exec(key);
  if (match === null) return { error: `foreign key ${JSON.stringify(key.slice(0, 40))}` };
  const id = Number(match[1]);
  const h = mix(id);
  const length = valueLength(id, profile);
  if (entry.value.length !== length) return { error: `record ${id}: value has ${entry.value.length} bytes, expected ${length}` };
  for (let i = 0; i < length; i++) {
    if (entry.value[i] !== valueByte(id, i)) return { error: `record ${id}: value byte ${i} differs` };
  }
  if (entry.tombstone !== (h % 11 === 0)) return { error: `record ${id}: tombstone flag differs` };
  const ttl = h % 7 === 0 ? BigInt(id) * 1000n : undefined;
  if (entry.ttlMs !== ttl) return { error: `record ${id}: ttl differs` };
  if (entry.compression !== (h % 9 === 4 ? 'lz4' : 'none')) return { error: `record ${id}: compression ${entry.compression} differs` };
  return { id };
}

/** UTF-8 bytes of a key (for planted entries in checker tests). */
export function keyBytes(id: number): Uint8Array {
  return encoder.encode(keyOf(id));
}
