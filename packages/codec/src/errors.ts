/** Stable error codes of {@link NoriCodecError}. */
export type NoriCodecErrorCode =
  | 'ERR_RECORD_TOO_LARGE'
  | 'ERR_INVALID_RECORD'
  | 'ERR_COMPRESSION_UNAVAILABLE'
  | 'ERR_COMPRESSION_FAILED'
  | 'ERR_DECOMPRESSION_FAILED'
  /** A bad option or argument (e.g. `maxRecordSize`, an encode target that is too small). */
  | 'ERR_INVALID_ARGUMENT';

/** Base error of @nori/codec; switch on `code`, never on the message. */
export class NoriCodecError extends Error {
  readonly code: NoriCodecErrorCode;

  constructor(code: NoriCodecErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NoriCodecError';
    this.code = code;
  }
}

/** A record exceeds `maxRecordSize` (encoded size, or decompressed value size). */
export class RecordTooLargeError extends NoriCodecError {
  /** The size that was too large, in bytes. */
  readonly size: number;
  readonly maxRecordSize: number;

  constructor(size: number, maxRecordSize: number, what = 'record') {
    super('ERR_RECORD_TOO_LARGE', `${what} of ${size} bytes exceeds maxRecordSize ${maxRecordSize}`);
    this.name = 'RecordTooLargeError';
    this.size = size;
    this.maxRecordSize = maxRecordSize;
  }
}

/** A compression codec is not available in this runtime; the message says what provides it. */
export class CompressionUnavailableError extends NoriCodecError {
  readonly compression: 'lz4' | 'zstd';
  readonly operation: 'compress' | 'decompress';

  constructor(compression: 'lz4' | 'zstd', operation: 'compress' | 'decompress', hint: string) {
    super('ERR_COMPRESSION_UNAVAILABLE', `${compression} ${operation}ion is unavailable in this runtime: ${hint}`);
    this.name = 'CompressionUnavailableError';
    this.compression = compression;
    this.operation = operation;
  }
}
