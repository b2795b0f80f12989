/** Value compression of a record (flag bits 2-3: 0 none, 1 lz4, 2 zstd). */
export type Compression = 'none' | 'lz4' | 'zstd';

/** What callers hand to encode / wal.append. Strings are UTF-8 encoded. */
export interface RecordInput {
  key: Uint8Array | string;
  /** Default: empty. */
  value?: Uint8Array | string;
  /** Default: false. */
  tombstone?: boolean;
  /** Time to live in milliseconds, u64 (0 ..= 2^64-1); absent = no ttl. */
  ttlMs?: number | bigint;
  /** Default: 'none'. */
  compression?: Compression;
}

/** A decoded record. `value` is always the logical (decompressed) value. */
export interface WalRecord {
  key: Uint8Array;
  value: Uint8Array;
  tombstone: boolean;
  ttlMs: bigint | undefined;
  compression: Compression;
}

/** Options shared by encoding and decoding. */
export interface CodecOptions {
  /**
   * Largest accepted record, in encoded bytes (header + key + stored value + CRC); also the
   * largest accepted decompressed value. Default {@link DEFAULT_MAX_RECORD_SIZE} (64 MiB).
   */
  maxRecordSize?: number;
}

/** Why a record is corrupt. */
export type CorruptReason = 'crc-mismatch' | 'varint-overflow' | 'invalid-compression' | 'decompression-failed' | 'too-large';

/** Outcome of {@link decodeRecord}. Expected states are values, never exceptions. */
export type DecodeResult =
  | { kind: 'ok'; record: WalRecord; size: number }
  /**
   * `needed`: total bytes the record needs from `offset` if the header was readable, else a lower
   * bound. `tooLarge`: the header claims more than `maxRecordSize` (treat as corruption, not as a
   * torn tail).
   */
  | { kind: 'incomplete'; needed: number; tooLarge: boolean }
  | { kind: 'corrupt'; reason: CorruptReason; message: string };

/** Smallest possible record: klen, vlen, flags (1 byte each) and the 4-byte CRC. */
export const MIN_RECORD_SIZE = 7;
/** Default {@link CodecOptions.maxRecordSize}: 64 MiB. */
export const DEFAULT_MAX_RECORD_SIZE: number = 64 * 1024 * 1024;
