import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WalEntry } from '../src/index.js';

/** The golden Rust nori-wal cases. */
export const GOLDEN_DIR = fileURLToPath(new URL('../../../testdata/golden/nori-wal-rust/', import.meta.url));

export interface GoldenRecord {
  index: number;
  key_hex: string;
  value_hex: string;
  tombstone: boolean;
  ttl_ms: number | string | null;
  compression: 'none' | 'lz4' | 'zstd';
  encoded_len: number;
  position: { segment_id: number; offset: number };
}

export interface GoldenCase {
  name: string;
  dir: string;
  config: { max_segment_size: number; preallocate: boolean };
  records: GoldenRecord[];
  files: { name: string; size: number }[];
  rust_recovery: {
    read_back_indices: number[];
    files_after_recovery: { name: string; size: number }[];
    recovery_info: { bytes_truncated: number; valid_records: number; last_valid_position: { segment_id: number; offset: number } };
  };
}

/** Loads manifest.json. */
export async function goldenCases(): Promise<GoldenCase[]> {
  // ttl_ms goes up to u64::MAX: keep it exact by reading it as a string.
  const raw = (await readFile(path.join(GOLDEN_DIR, 'manifest.json'), 'utf8')).replace(/"ttl_ms": (\d+)/g, '"ttl_ms": "$1"');
  const manifest = JSON.parse(raw) as { cases: GoldenCase[] };
  return manifest.cases;
}

/** Creates a temporary directory; `cleanup` removes it. */
export async function tempDir(prefix = 'nori-wal-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Copies a golden case directory into a fresh temporary directory. */
export async function copyCase(name: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const temp = await tempDir(`nori-golden-${name}-`);
  await cp(path.join(GOLDEN_DIR, name), temp.dir, { recursive: true });
  return temp;
}

/** Hex of bytes. */
export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/**
 * Index of the first array whose bytes differ, or -1 when both lists hold the same bytes.
 * Use it instead of `toEqual` on large byte arrays: vitest's deep equality walks every byte as
 * an object property (seconds per MiB), `Buffer.compare` is a memcmp.
 */
export function firstByteMismatch(actual: readonly Uint8Array[], expected: readonly Uint8Array[]): number {
  const n = Math.max(actual.length, expected.length);
  for (let i = 0; i < n; i++) {
    const a = actual[i];
    const b = expected[i];
    if (a === undefined || b === undefined || Buffer.compare(a, b) !== 0) return i;
  }
  return -1;
}

/** Bytes of a hex string. */
export function unhex(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'hex'));
}

/** Collects every entry of an async iterable. */
export async function collect(iterable: AsyncIterable<WalEntry>): Promise<WalEntry[]> {
  const out: WalEntry[] = [];
  for await (const entry of iterable) out.push(entry);
  return out;
}

/** UTF-8 text of bytes. */
export function text(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

/** A key and value of a numbered test record. */
export function record(i: number, valueSize = 100): { key: string; value: Uint8Array } {
  const value = new Uint8Array(valueSize);
  for (let j = 0; j < valueSize; j++) value[j] = (i * 31 + j) & 0xff;
  return { key: `key-${String(i).padStart(5, '0')}`, value };
}

/** The number in a key made by {@link record}. */
export function indexOf(key: Uint8Array): number {
  return Number(text(key).slice(4));
}
