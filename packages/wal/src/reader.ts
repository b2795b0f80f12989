import type { LogView } from './log-view.js';
import { LogReader } from './log-reader.js';
import { readSegments } from './read-segments.js';
import { ReadState } from './read-state.js';
import { SegmentScanner } from './segment-scanner.js';
import type { ReadOptions } from './types.js';

/**
 * Reads records in log order from `options.from` (a record boundary) across every segment.
 * Bounded memory with `copy` or `reuseBuffers`: one or two chunk buffers (grown only for records
 * larger than a chunk). Reads stop at the written position, never in preallocated zeros; with
 * `follow` the iterator waits for new records. An aborted `signal` ends the iteration cleanly.
 */
export function readLog(view: LogView, options: ReadOptions = {}): LogReader {
  // Bad options are reported by the generator's checkReadOptions, at the first next().
  const settings: ReadOptions = typeof options === 'object' && options !== null ? options : {};
  const copy = settings.copy === true;
  // Views into chunks that are never reused; or two recycled buffers whose views last until the
  // next fill (reuseBuffers: a fill only happens inside a later next() call); copies are made
  // from one reused buffer.
  const reuse = settings.reuseBuffers === true;
  const scanner = new SegmentScanner({ maxRecordSize: view.maxRecordSize, stableChunks: !copy && !reuse, doubleBuffered: reuse });
  const state = new ReadState(view, {
    scanner,
    entryOptions: { copy },
    signal: settings.signal,
    toIndex: settings.toIndex ?? Infinity,
    remaining: settings.limit ?? Infinity,
  });
  return new LogReader(state, readSegments(view, options, state));
}
