import { StorageError } from './errors.js';

/** Throws `ERR_INVALID_ARGUMENT` unless `value` is a non-negative safe integer. */
export function checkNonNegativeInteger(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new StorageError('ERR_INVALID_ARGUMENT', `${what} must be a non-negative safe integer, got ${String(value)}`);
  }
  return value;
}

/** Validates the arguments of `read`/`readSync`. */
export function checkReadArgs(target: unknown, targetOffset: unknown, length: unknown, position: unknown): void {
  if (!(target instanceof Uint8Array)) {
    throw new StorageError('ERR_INVALID_ARGUMENT', 'target must be a Uint8Array');
  }
  checkNonNegativeInteger(targetOffset, 'targetOffset');
  checkNonNegativeInteger(length, 'length');
  checkNonNegativeInteger(position, 'position');
  if ((targetOffset as number) + (length as number) > target.byteLength) {
    throw new StorageError(
      'ERR_INVALID_ARGUMENT',
      `targetOffset + length (${String((targetOffset as number) + (length as number))}) exceeds target.byteLength (${String(target.byteLength)})`,
    );
  }
}

/** Validates the arguments of `writev`/`writevSync`; returns the total byte count. */
export function checkWriteArgs(buffers: unknown, position: unknown): number {
  if (!Array.isArray(buffers)) {
    throw new StorageError('ERR_INVALID_ARGUMENT', 'buffers must be an array of Uint8Array');
  }
  checkNonNegativeInteger(position, 'position');
  let total = 0;
  for (const buffer of buffers as unknown[]) {
    if (!(buffer instanceof Uint8Array)) {
      throw new StorageError('ERR_INVALID_ARGUMENT', 'buffers must be an array of Uint8Array');
    }
    total += buffer.byteLength;
  }
  if (!Number.isSafeInteger((position as number) + total)) {
    throw new StorageError('ERR_INVALID_ARGUMENT', 'position + length exceeds the safe integer range');
  }
  return total;
}
