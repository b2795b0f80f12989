import { randomFillSync } from 'node:crypto';
import { encodeRecord, type RecordInput } from '@nori/codec';

/** A benchmark record and its exact on-disk encoding (what raw baselines write instead). */
export interface BenchRecord {
  readonly input: RecordInput;
  readonly encoded: Uint8Array;
}

/** 1024. */
export const KiB = 1024;
/** 1024 * 1024. */
export const MiB = 1024 * 1024;

/**
 * A record with a 16-byte key and a `valueBytes` random (incompressible, uncompressed) value.
 * Baselines write `encoded`, so both sides move the same number of bytes per record.
 */
export function makeRecord(valueBytes: number, keyIndex = 0): BenchRecord {
  const value = new Uint8Array(valueBytes);
  randomFillSync(value);
  const input: RecordInput = { key: `bench-key-${String(keyIndex).padStart(6, '0')}`, value };
  return { input, encoded: encodeRecord(input) };
}

/** `count` records of `valueBytes` each (distinct keys, distinct random values). */
export function makeRecords(count: number, valueBytes: number): BenchRecord[] {
  return Array.from({ length: count }, (_, i) => makeRecord(valueBytes, i));
}

/** Human label for a byte size: `100 B`, `1 KiB`, `10 KiB`, `1 MiB`, `1 GiB`. */
export function sizeLabel(bytes: number): string {
  if (bytes >= 1024 * MiB && bytes % (1024 * MiB) === 0) return `${bytes / (1024 * MiB)} GiB`;
  if (bytes >= MiB && bytes % MiB === 0) return `${bytes / MiB} MiB`;
  if (bytes >= KiB && bytes % KiB === 0) return `${bytes / KiB} KiB`;
  return `${bytes} B`;
}
