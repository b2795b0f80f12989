import { cp, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir, type TempDir } from './temp-dir.js';

/** The golden Rust nori-wal cases (testdata/golden/nori-wal-rust). */
export const GOLDEN_DIR = fileURLToPath(new URL('../../../testdata/golden/nori-wal-rust/', import.meta.url));

/** A `segment_id` + byte offset as the Rust harness writes it. */
export interface GoldenPosition {
  segment_id: number;
  offset: number;
}

/** One appended record of a golden case. `ttl_ms` is a string when it exceeds 2^53. */
export interface GoldenRecord {
  index: number;
  key_hex: string;
  value_hex: string;
  tombstone: boolean;
  ttl_ms: number | string | null;
  compression: 'none' | 'lz4' | 'zstd';
  encoded_len: number;
  position: GoldenPosition;
}

/** One case of manifest.json (the fields the tests use). */
export interface GoldenCase {
  name: string;
  dir: string;
  config: { max_segment_size: number; preallocate: boolean };
  records: GoldenRecord[];
  files: { name: string; size: number }[];
  post_processing: Record<string, unknown> | null;
  rust_recovery: {
    read_back_count: number;
    read_back_indices: number[];
    files_after_recovery: { name: string; size: number }[];
    recovery_info: { bytes_truncated: number; valid_records: number; last_valid_position: GoldenPosition };
  };
}

/** ttl_ms goes up to u64::MAX: big integers are kept exact by reading them as strings. */
const BIG_TTL = /"ttl_ms":\s*(\d{16,})/g;

let cases: Promise<GoldenCase[]> | undefined;

/** Every case of manifest.json (parsed once per process; the file is 4 MB). */
export function goldenCases(): Promise<GoldenCase[]> {
  cases ??= readFile(path.join(GOLDEN_DIR, 'manifest.json'), 'utf8').then((raw) => {
    const manifest = JSON.parse(raw.replace(BIG_TTL, '"ttl_ms": "$1"')) as { cases: GoldenCase[] };
    return manifest.cases;
  });
  return cases;
}

/** The golden case whose directory is `dir`; throws if there is none. */
export async function goldenCase(dir: string): Promise<GoldenCase> {
  const found = (await goldenCases()).find((entry) => entry.dir === dir);
  if (found === undefined) throw new Error(`no golden case ${dir}`);
  return found;
}

/** Copies golden case directory `dir` into a fresh temporary directory. */
export async function copyGoldenCase(dir: string): Promise<TempDir> {
  const temp = await tempDir(`nori-golden-${dir}-`);
  await cp(path.join(GOLDEN_DIR, dir), temp.dir, { recursive: true });
  return temp;
}
