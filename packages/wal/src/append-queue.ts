import { abortError, DONE, QUEUED, WAITING_ROOM, type PendingWrite } from './pending-write.js';

const RESOLVED = Promise.resolve();

/**
 * Admission of pending writes: the queue the writer drains, backpressure (a write that would
 * push the queued bytes past `maxQueuedBytes` waits in line, FIFO), and aborts of writes not yet
 * written. Schedules one flush (a microtask) whenever something is admitted.
 */
export class AppendQueue {
  /** Admitted writes, in order, not yet handed to the OS. */
  private queue: PendingWrite[] = [];
  /** Writes waiting for room (backpressure), in order. */
  private roomWaiters: PendingWrite[] = [];
  private flushScheduled = false;
  /** Encoded bytes waiting to be written. */
  queuedBytes = 0;
  /** Records accepted but not yet written, aborted or failed (the index overflow check counts them). */
  pendingRecords = 0;

  private readonly flushTask = (): void => {
    this.flushScheduled = false;
    this.flush();
  };

  constructor(
    private readonly maxQueuedBytes: number,
    /** Writes what is queued (called from a microtask). */
    private readonly flush: () => void,
  ) {}

  /** Admitted writes in order (the writer reads a prefix, then {@link AppendQueue.take}s it). */
  get items(): readonly PendingWrite[] {
    return this.queue;
  }

  /** True when nothing is queued or waiting for room. */
  get empty(): boolean {
    return this.queue.length === 0 && this.roomWaiters.length === 0;
  }

  /** Admits `p` or, when the queue is full, puts it in line; listens for its abort signal. */
  enqueue(p: PendingWrite): void {
    const signal = p.signal;
    if (signal !== undefined) {
      if (signal.aborted) {
        p.state = DONE;
        p.reject(abortError(signal));
        return;
      }
      const listener = (): void => this.abort(p);
      p.abortListener = listener;
      signal.addEventListener('abort', listener, { once: true });
    }
    this.pendingRecords += p.records;
    if (this.roomWaiters.length > 0 || (this.queuedBytes > 0 && this.queuedBytes + p.bytes > this.maxQueuedBytes)) {
      p.state = WAITING_ROOM;
      this.roomWaiters.push(p);
      return;
    }
    this.admit(p);
  }

  /** Removes the first `count` queued writes and returns them (the writer writes them). */
  take(count: number): PendingWrite[] {
    const queue = this.queue;
    if (count === queue.length) {
      this.queue = [];
      return queue;
    }
    return queue.splice(0, count);
  }

  /** Admits waiting writes while there is room. */
  admitWaiters(): void {
    while (this.roomWaiters.length > 0) {
      const next = this.roomWaiters[0] as PendingWrite;
      if (this.queuedBytes > 0 && this.queuedBytes + next.bytes > this.maxQueuedBytes) return;
      this.roomWaiters.shift();
      this.admit(next);
    }
  }

  /** Empties the queue and the line (the WAL failed); returns what was in them, in order. */
  clear(): PendingWrite[] {
    const pending = [...this.queue, ...this.roomWaiters];
    this.queue = [];
    this.roomWaiters = [];
    this.queuedBytes = 0;
    this.pendingRecords = 0;
    return pending;
  }

  private admit(p: PendingWrite): void {
    p.state = QUEUED;
    this.queue.push(p);
    this.queuedBytes += p.bytes;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      // A resolved promise's then() is the cheapest microtask (queueMicrotask wraps its callback).
      void RESOLVED.then(this.flushTask);
    }
  }

  private abort(p: PendingWrite): void {
    if (p.state === QUEUED) {
      const index = this.queue.indexOf(p);
      if (index >= 0) this.queue.splice(index, 1);
      this.queuedBytes -= p.bytes;
      this.admitWaiters();
    } else if (p.state === WAITING_ROOM) {
      const index = this.roomWaiters.indexOf(p);
      if (index >= 0) this.roomWaiters.splice(index, 1);
      this.admitWaiters();
    } else {
      return;
    }
    p.state = DONE;
    p.abortListener = undefined;
    this.pendingRecords -= p.records;
    p.reject(abortError(p.signal as AbortSignal));
  }
}
