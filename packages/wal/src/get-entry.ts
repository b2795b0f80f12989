import { WalError, ioError } from './errors.js';
import { checkIndex } from './options.js';
import { readIndexFrom, readPositionFrom } from './point-read.js';
import { isPosition } from './position.js';
import { indexOfPosition } from './read-start.js';
import type { LogView } from './log-view.js';
import type { Position, WalEntry } from './types.js';

/** `get` returns compact copies (an entry may be kept for long). */
const COPIES = { copy: true } as const;

/**
 * `wal.get(target)`: one record by sequence number or by position, from the nearest sample of
 * the sparse index with one bounded read. A `truncateAfter` that cuts the record meanwhile is
 * `ERR_LOG_TRUNCATED`, not corruption.
 */
export async function getEntry(view: LogView, target: number | Position): Promise<WalEntry> {
  const { sequence, cuts } = view;
  const epoch = cuts.epoch;
  try {
    if (typeof target === 'number') {
      checkIndex('get', target);
      const sample = await sequence.sampleForIndex(target);
      return await readIndexFrom(view, sample, target, COPIES);
    }
    if (!isPosition(target)) throw new WalError('ERR_INVALID_ARGUMENT', 'get expects an index or a { segmentId, offset } position');
    await indexOfPosition(view, target);
    const sample = await sequence.sampleForPosition(target);
    const found = sample === undefined ? undefined : (await readPositionFrom(view, sample, target, COPIES)).entry;
    if (found === undefined) throw new WalError('ERR_INVALID_POSITION', `no record at ${target.segmentId}:${target.offset} (the end of the log)`);
    if (found.index < sequence.firstIndex) {
      throw new WalError('ERR_INDEX_TRUNCATED', `index ${found.index} was truncated: the first record is ${sequence.firstIndex}`);
    }
    return found;
  } catch (error) {
    if (cuts.epoch !== epoch && !(error instanceof WalError && error.code === 'ERR_CLOSED')) {
      throw new WalError('ERR_LOG_TRUNCATED', `the log was truncated after index ${cuts.lastIndex} while get read it`, { cause: error });
    }
    throw ioError('get', error);
  }
}
