import { readFileSync } from 'node:fs';

/** Rust nori-wal golden files (testdata/golden/nori-wal-rust). */
export const goldenDir = new URL('../../../testdata/golden/nori-wal-rust/', import.meta.url);

/** JSON.parse that keeps integers beyond 2^53 exact (as bigint) instead of rounding them. */
export function parseJsonExact(text: string): unknown {
  const quoted = text.replace(/([:[,]\s*)(\d{16,})(?=\s*[,}\]])/g, '$1"__big:$2"');
  return JSON.parse(quoted, (_key, value: unknown) => (typeof value === 'string' && value.startsWith('__big:') ? BigInt(value.slice(6)) : value));
}

export function readGoldenJson<T>(name: string): T {
  return parseJsonExact(readFileSync(new URL(name, goldenDir), 'utf8')) as T;
}

export function fromHex(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export type RustCompression = 'none' | 'lz4' | 'zstd';

export interface EncodeVector {
  name: string;
  compression: RustCompression;
  encoded_hex: string;
  encoded_len: number;
  key_hex: string;
  value_hex: string;
  tombstone: boolean;
  ttl_ms: number | bigint | null;
}

export interface DecodeVector {
  name: string;
  input_hex: string;
  result:
    | { ok: { compression: RustCompression; consumed: number; key_hex: string; value_hex: string; tombstone: boolean; ttl_ms: number | bigint | null } }
    | { err: { kind: string; message: string } };
}

export interface EncodedJson {
  encode_vectors: EncodeVector[];
  decode_vectors: DecodeVector[];
}

export interface ManifestRecord {
  index: number;
  compression: RustCompression;
  encoded_len: number;
  key_hex: string;
  value_hex: string;
  tombstone: boolean;
  ttl_ms: number | bigint | null;
  position: { segment_id: number; offset: number };
}

export interface ManifestCase {
  name: string;
  dir: string;
  records: ManifestRecord[];
  files: { name: string; size: number }[];
}

export interface Manifest {
  cases: ManifestCase[];
}
