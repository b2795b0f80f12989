import { NoriCodecError, encodeRecord, encodeRecordInto, type RecordInput } from '@nori/codec';
import { WalError } from './errors.js';

/** Size of one encoding slab. */
export const SLAB_SIZE = 1024 * 1024;
/** Records whose size bound exceeds this get their own buffer instead of slab space. */
const MAX_SLAB_RECORD = SLAB_SIZE / 8;
/** Worst case of the three varints (key length, value length, ttl) plus flags and CRC. */
const HEADER_BOUND = 10 + 10 + 10 + 1 + 4;

function boundOf(field: Uint8Array | string | undefined): number {
  if (field === undefined) return 0;
  if (typeof field === 'string') return field.length * 3;
  if (field instanceof Uint8Array) return field.length;
  return Infinity;
}

/**
 * Encodes records once each, uncompressed ones into a shared slab (no allocation per record; a
 * run of records is one contiguous region, so the gathered write has few iovecs). The writer
 * calls {@link RecordEncoder.recycle} once nothing encoded is still waiting to be written.
 */
export class RecordEncoder {
  private slab = new Uint8Array(0);
  private used = 0;
  private readonly options: { maxRecordSize: number };

  constructor(maxRecordSize: number) {
    this.options = { maxRecordSize };
  }

  /** Encodes `input` (throws the codec's errors); the result stays valid until written. */
  encode(input: RecordInput): Uint8Array {
    if (typeof input === 'object' && input !== null && (input.compression === undefined || input.compression === 'none')) {
      const bound = boundOf(input.key) + boundOf(input.value) + HEADER_BOUND;
      if (bound <= MAX_SLAB_RECORD) {
        if (this.used + bound > this.slab.length) {
          this.slab = new Uint8Array(SLAB_SIZE);
          this.used = 0;
        }
        const start = this.used;
        const size = encodeRecordInto(input, this.slab, start, this.options);
        this.used = start + size;
        return this.slab.subarray(start, start + size);
      }
    }
    return encodeRecord(input, this.options);
  }

  /** Everything encoded so far was written (or dropped): reuse the slab from its start. */
  recycle(): void {
    this.used = 0;
  }
}

/** Maps codec errors (record too large, invalid record, compression) to `WalError`s. */
export function encodeError(error: unknown): Error {
  if (error instanceof NoriCodecError) {
    // Damaged compressed bytes are corruption of the log; every other codec code is also ours.
    const code = error.code === 'ERR_DECOMPRESSION_FAILED' ? 'ERR_CORRUPTION' : error.code;
    return new WalError(code, error.message, { cause: error });
  }
  return error instanceof Error ? error : new Error(String(error));
}
