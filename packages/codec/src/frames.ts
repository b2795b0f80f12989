import { maxRecordSizeOf } from './options.js';
import { PARSE_INCOMPLETE, PARSE_OK, ParseState, parseRecord } from './parse.js';
import { MIN_RECORD_SIZE, type CodecOptions } from './types.js';

/** Result of {@link walkRecordFrames}. */
export interface RecordFrames {
  /** Offset just after the last whole record (`start` when not even one fits). */
  end: number;
  /** Whole records walked. */
  records: number;
  /**
   * Why the walk stopped: `'end'` (it reached `end`), `'incomplete'` (the next record is cut off
   * at `end`: see `needed`, `tooLarge`) or `'corrupt'` (the next record's framing is invalid, or
   * it is zero-filled: a preallocated tail that was never written).
   */
  stopped: 'end' | 'incomplete' | 'corrupt';
  /** When `'incomplete'`: bytes the cut record needs at least, from its start. */
  needed: number;
  /** When `'incomplete'`: the cut record claims more than `maxRecordSize`. */
  tooLarge: boolean;
}

/**
 * Walks the records in `buf[start, end)` by their framing alone (length varints, flags, ttl):
 * **CRCs are not checked**, and compressed values are not decompressed. For cutting bytes whose
 * records are verified elsewhere at a record boundary (e.g. copying a log's durable bytes in
 * pieces: every reader of the copy checks every CRC); a whole record here is not a valid record.
 * Use {@link RecordScanner} to read or verify records.
 *
 * ```ts
 * const { end } = walkRecordFrames(bytes, 0, Math.min(bytes.length, 8 << 20));
 * ship(bytes.subarray(0, end)); // a piece that ends at a record boundary
 * ```
 * @throws RangeError for a range outside `buf`; NoriCodecError `ERR_INVALID_ARGUMENT` for a bad `maxRecordSize`.
 */
export function walkRecordFrames(buf: Uint8Array, start = 0, end = buf.length, options?: CodecOptions): RecordFrames {
  if (!(Number.isSafeInteger(start) && Number.isSafeInteger(end) && start >= 0 && start <= end && end <= buf.length)) {
    throw new RangeError(`invalid frame range [${start}, ${end}) of a ${buf.length}-byte buffer`);
  }
  const max = maxRecordSizeOf(options);
  const st = new ParseState();
  st.crcVerifiedEnd = Number.MAX_SAFE_INTEGER; // framing only: parseRecord skips every CRC
  let at = start;
  let records = 0;
  while (at < end) {
    const code = parseRecord(buf, at, end, max, false, st);
    if (code === PARSE_OK && !isZeroFilledRecord(buf, st)) {
      at += st.recordSize;
      records++;
      continue;
    }
    const incomplete = code === PARSE_INCOMPLETE;
    return { end: at, records, stopped: incomplete ? 'incomplete' : 'corrupt', needed: incomplete ? st.needed : 0, tooLarge: incomplete && st.tooLarge };
  }
  return { end: at, records, stopped: 'end', needed: 0, tooLarge: false };
}

/**
 * Seven zero bytes (a preallocated, never written tail) parse as an empty record with CRC 0, which
 * no intact record has: a walk that does not check CRCs stops there.
 */
export function isZeroFilledRecord(buf: Uint8Array, parsed: ParseState): boolean {
  if (parsed.recordSize !== MIN_RECORD_SIZE) return false;
  const at = parsed.recordStart;
  return (buf[at]! | buf[at + 1]! | buf[at + 2]! | buf[at + 3]! | buf[at + 4]! | buf[at + 5]! | buf[at + 6]!) === 0;
}
