/**
 * @nori/codec: the nori-wal record format v1 (see FORMAT.md). No I/O; runs in browsers.
 * @packageDocumentation
 */
export {
  DEFAULT_MAX_RECORD_SIZE,
  MIN_RECORD_SIZE,
  type CodecOptions,
  type Compression,
  type CorruptReason,
  type DecodeResult,
  type RecordInput,
  type WalRecord,
} from './types.js';
export { CompressionUnavailableError, NoriCodecError, RecordTooLargeError, type NoriCodecErrorCode } from './errors.js';
export { crc32c } from './crc32c.js';
export { COMPRESSION_MASK, COMPRESSION_SHIFT, FLAG_TOMBSTONE, FLAG_TTL } from './flags.js';
export { encodeRecord, encodeRecordInto, encodedLength } from './encode.js';
export { decodeRecord, type DecodeOptions } from './decode.js';
export { RecordScanner, type ScanStatus, type ScannerOptions } from './scanner.js';
export { walkRecordFrames, type RecordFrames } from './frames.js';
export { MAX_VARINT_LENGTH, decodeVarint, encodeVarint, varintLength, type VarintResult } from './varint.js';
export { codecBackends, type CodecBackends } from './backends.js';
