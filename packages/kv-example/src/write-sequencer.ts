/**
 * Orders the effects of concurrent writes.
 *
 * Each write is issued to the log synchronously in call order, so log order equals call order.
 * Its effect on the in-memory index is applied only once the log acknowledged it, and strictly in
 * issue order even if acknowledgements arrive out of order. A write's promise settles right after
 * its effect is applied, so a `get` after an awaited `put` always sees it.
 *
 * `pause()` holds new writes back (they queue, in order) and waits until every issued write has
 * settled: the index then reflects exactly the records in the log, which is what a snapshot needs.
 */
export class WriteSequencer {
  private issued = 0;
  private applied = 0;
  /** Finishers of writes acknowledged ahead of an earlier one, by sequence number. */
  private readonly waiting = new Map<number, () => void>();
  private readonly queued: (() => void)[] = [];
  private readonly idleWaiters: (() => void)[] = [];
  private pauses = 0;

  /** Writes issued to the log whose effects are not applied yet. */
  get inFlight(): number {
    return this.issued - this.applied;
  }

  /**
   * Issues `write` (now, or after the current pause) and applies `apply` once it succeeded and
   * every earlier write was applied. Resolves with `apply`'s result; a failed write rejects
   * with `mapError(error)` (its effect is never applied).
   */
  run<W, R>(write: () => Promise<W>, apply: (written: W) => R, mapError: (error: unknown) => unknown = (error) => error): Promise<R> {
    if (this.pauses > 0 || this.queued.length > 0) {
      return new Promise<R>((resolve, reject) => {
        this.queued.push(() => {
          this.issue(write, apply, mapError).then(resolve, reject);
        });
      });
    }
    return this.issue(write, apply, mapError);
  }

  /** Holds back new writes and resolves once every issued write has settled. */
  async pause(): Promise<void> {
    this.pauses++;
    await this.idle();
  }

  /** Ends a pause; queued writes are issued in call order. */
  resume(): void {
    if (this.pauses === 0) return;
    this.pauses--;
    while (this.pauses === 0 && this.queued.length > 0) {
      const issue = this.queued.shift() as () => void;
      issue();
    }
  }

  /** Resolves once no issued write is waiting for its acknowledgement. */
  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private issue<W, R>(write: () => Promise<W>, apply: (written: W) => R, mapError: (error: unknown) => unknown): Promise<R> {
    const seq = this.issued++;
    let pending: Promise<W>;
    try {
      pending = write();
    } catch (error) {
      pending = Promise.reject(error);
    }
    return pending.then(
      (written) => this.inTurn(seq, () => apply(written)),
      (error: unknown) =>
        this.inTurn(seq, () => {
          throw mapError(error);
        }),
    );
  }

  /**
   * Runs `finish` when it is `seq`'s turn: at once when every earlier write was applied (the
   * usual case, the log acknowledges in order), otherwise once they are.
   */
  private inTurn<R>(seq: number, finish: () => R): R | Promise<R> {
    if (seq === this.applied) {
      this.applied++;
      try {
        return finish();
      } finally {
        this.drain();
      }
    }
    return new Promise<R>((resolve, reject) => {
      this.waiting.set(seq, () => {
        try {
          resolve(finish());
        } catch (error) {
          reject(error);
        }
      });
    });
  }

  private drain(): void {
    for (;;) {
      const next = this.waiting.get(this.applied);
      if (next === undefined) break;
      this.waiting.delete(this.applied);
      this.applied++;
      next();
    }
    if (this.inFlight === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters.splice(0);
      for (const wake of waiters) wake();
    }
  }
}
