import { NoriCodecError } from './errors.js';
import { DEFAULT_MAX_RECORD_SIZE, MIN_RECORD_SIZE, type CodecOptions } from './types.js';

/** Validated `maxRecordSize` of `options`. */
export function maxRecordSizeOf(options: CodecOptions | undefined): number {
  const max = options?.maxRecordSize;
  if (max === undefined) return DEFAULT_MAX_RECORD_SIZE;
  if (!Number.isSafeInteger(max) || max < MIN_RECORD_SIZE) {
    throw new NoriCodecError('ERR_INVALID_ARGUMENT', `maxRecordSize must be an integer >= ${MIN_RECORD_SIZE}, got ${String(max)}`);
  }
  return max;
}
