import type { Position } from '@nori/wal';
import { abortedError } from './backoff.js';

interface Waiter {
  /** True once the archived position covers what the waiter needs. */
  reached: (cursor: Position) => boolean;
  resolve: (position: Position) => void;
  reject: (error: Error) => void;
}

/** Callers waiting for the archived position to reach a point (flush, waitArchived). */
export class PositionWaiters {
  private waiters: Waiter[] = [];

  /**
   * Resolves with the archived position once `reached(cursor)` holds; an aborted `signal` rejects
   * (`ERR_ABORTED`, naming `what`). The caller checks the current position first.
   */
  wait(reached: (cursor: Position) => boolean, signal: AbortSignal | undefined, what: string): Promise<Position> {
    if (signal?.aborted === true) return Promise.reject(abortedError(signal, what));
    return new Promise<Position>((resolve, reject) => {
      const onAbort = (): void => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(abortedError(signal as AbortSignal, what));
      };
      const waiter: Waiter = {
        reached,
        resolve: (position) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(position);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** The archived position moved to `position`: resolves every waiter it satisfies. */
  advance(position: Position): void {
    const done = this.waiters.filter((w) => w.reached(position));
    if (done.length === 0) return;
    this.waiters = this.waiters.filter((w) => !w.reached(position));
    for (const waiter of done) waiter.resolve({ ...position });
  }

  /** Rejects every waiter (the archiver stopped). */
  rejectAll(error: Error): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.reject(error);
  }
}
