import type { ReadState } from './read-state.js';
import type { WalEntry } from './types.js';

/**
 * The iterator `wal.read()` returns. A record already in the read buffer is handed out
 * synchronously (an already-resolved promise, no generator step); anything else (opening a
 * segment, reading a chunk, waiting for writes, the end, an error) is left to `slow`, the async
 * generator that owns the files. Both share one internal read state, so every record gets the same
 * CRC check and per-record checks whichever path produced it.
 */
export class LogReader implements AsyncIterableIterator<WalEntry, void, undefined>, AsyncDisposable {
  private readonly state: ReadState;
  private readonly slow: AsyncGenerator<WalEntry, void, undefined>;
  /** Calls to `slow` not settled yet: while any runs or is queued, the fast path stays off. */
  private pending = 0;

  constructor(state: ReadState, slow: AsyncGenerator<WalEntry, void, undefined>) {
    this.state = state;
    this.slow = slow;
  }

  /** The next entry; resolves at once when the record is already buffered. */
  next(): Promise<IteratorResult<WalEntry, void>> {
    const state = this.state;
    // Only while the generator sits at a record's yield with nothing queued behind it.
    if (this.pending === 0 && state.parked) {
      let entry: WalEntry | undefined;
      try {
        if (state.finishHanded()) return this.track(this.slow.return(undefined));
        entry = state.takeBuffered();
      } catch (error) {
        // Thrown where the generator would have thrown it: its catch and cleanup run.
        return this.track(this.slow.throw(error));
      }
      if (entry !== undefined) return Promise.resolve({ value: entry, done: false });
    }
    return this.track(this.slow.next());
  }

  /** Ends the read (`break` in `for await`): closes its file and unregisters it from GC protection. */
  return(): Promise<IteratorResult<WalEntry, void>> {
    return this.track(this.slow.return(undefined));
  }

  /** Ends the read with `error` after releasing its resources. */
  throw(error?: unknown): Promise<IteratorResult<WalEntry, void>> {
    return this.track(this.slow.throw(error));
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Same as {@link LogReader.return} (`await using`). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.return();
  }

  private track(step: Promise<IteratorResult<WalEntry, void>>): Promise<IteratorResult<WalEntry, void>> {
    this.pending++;
    const settle = (): void => {
      this.pending--;
    };
    step.then(settle, settle);
    return step;
  }
}
