import { NoriCodecError } from './errors.js';
import { maxRecordSizeOf } from './options.js';
import { PARSE_CORRUPT, PARSE_INCOMPLETE, ParseState, parseRecord } from './parse.js';
import type { CodecOptions, DecodeResult } from './types.js';
import { isCompressed } from './flags.js';

const state = new ParseState();

/** Options of {@link decodeRecord}. */
export interface DecodeOptions extends CodecOptions {
  /**
   * true (default): key and value are fresh copies. false: key (and an uncompressed value) are
   * views into `buf` (zero-copy; valid while `buf` is unchanged).
   */
  copy?: boolean;
}

/**
 * Decodes and verifies one record at `offset`. Never throws for corrupt or incomplete input:
 * the outcome is `ok` (with the record and its encoded size), `incomplete` (more bytes needed;
 * `tooLarge` means the header claims more than `maxRecordSize`) or `corrupt` (with a reason).
 * Compressed values are decompressed, and a failure is `corrupt` (`decompression-failed`).
 * Throws NoriCodecError ERR_INVALID_ARGUMENT only for a bad argument (offset outside the buffer).
 */
export function decodeRecord(buf: Uint8Array, offset = 0, options?: DecodeOptions): DecodeResult {
  if (!(buf instanceof Uint8Array)) {
    throw new NoriCodecError('ERR_INVALID_ARGUMENT', 'decodeRecord expects a Uint8Array');
  }
  if (!Number.isInteger(offset) || offset < 0 || offset > buf.length) {
    throw new NoriCodecError('ERR_INVALID_ARGUMENT', `offset ${offset} is outside [0, ${buf.length}]`);
  }
  const max = maxRecordSizeOf(options);
  const copy = options?.copy ?? true;
  const st = state;
  const code = parseRecord(buf, offset, buf.length, max, true, st);
  if (code === PARSE_INCOMPLETE) return { kind: 'incomplete', needed: st.needed, tooLarge: st.tooLarge };
  if (code === PARSE_CORRUPT) return { kind: 'corrupt', reason: st.corruptReason!, message: st.corruptMessage() };
  const compressed = isCompressed(st.flags);
  const key = copy ? buf.slice(st.keyStart, st.keyEnd) : buf.subarray(st.keyStart, st.keyEnd);
  const value = compressed ? st.decompressed! : copy ? buf.slice(st.valueStart, st.valueEnd) : buf.subarray(st.valueStart, st.valueEnd);
  st.decompressed = undefined;
  return {
    kind: 'ok',
    record: { key, value, tombstone: st.tombstone, ttlMs: st.ttlMs, compression: st.compression },
    size: st.recordSize,
  };
}
