import type { AppendOptions, Position } from '@nori/wal';
import { ArchiveError } from '../errors.js';
import type { RemoteDurableOptions } from './types.js';

/** The WAL append options of a remote-durable append: always fsynced (only durable bytes ship). */
export function walAppendOptions(options: RemoteDurableOptions): AppendOptions {
  return options.signal === undefined ? { durable: true } : { durable: true, signal: options.signal };
}

/** `ERR_INVALID_ARGUMENT` unless `position` is a position of non-negative safe integers. */
export function checkPosition(position: Position): void {
  const valid = (n: unknown): boolean => Number.isSafeInteger(n) && (n as number) >= 0;
  const candidate = position as Partial<Position> | null | undefined;
  if (typeof candidate !== 'object' || candidate === null || !valid(candidate.segmentId) || !valid(candidate.offset)) {
    throw new ArchiveError('ERR_INVALID_ARGUMENT', 'waitArchived expects a position { segmentId, offset } of non-negative integers');
  }
}
