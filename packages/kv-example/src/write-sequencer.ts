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
  private readonly settled = new Map<number, () => void>();
  private readonly queued: (() => void)[] = [];
  private readonly idleWaiters: (() => void)[] = [];
  private pauses = 0;

  /** Writes issued to the log whose effects are not applied yet. */
  get inFlight(): number {
    return this.issued - this.applied;
  }

  /**
   * Issues `write` (now, or after the current pause) and applies `apply` once it succeeded and
   * every earlier write was applied. Resolves with `apply`'s result.
   */
  run<W, R>(write: () => Promise<W>, apply: (written: W) => R): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const issue = (): void => {
        const seq = this.issued++;
        let pending: Promise<W>;
        try {
          pending = write();
        } catch (error) {
          pending = Promise.reject(error);
        }
        pending.then(
          (written) => this.settle(seq, () => {
            let result: R;
            try {
              result = apply(written);
            } catch (error) {
              reject(error);
              return;
            }
            resolve(result);
          }),
          (error: unknown) => this.settle(seq, () => reject(error)),
        );
      };
      if (this.pauses > 0 || this.queued.length > 0) this.queued.push(issue);
      else issue();
    });
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
    if (this.pauses > 0) return;
    while (this.queued.length > 0 && this.pauses === 0) {
      const issue = this.queued.shift() as () => void;
      issue();
    }
  }

  /** Resolves once no issued write is waiting for its acknowledgement. */
  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private settle(seq: number, finish: () => void): void {
    this.settled.set(seq, finish);
    for (;;) {
      const next = this.settled.get(this.applied);
      if (next === undefined) break;
      this.settled.delete(this.applied);
      this.applied++;
      next();
    }
    if (this.inFlight === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters.splice(0);
      for (const wake of waiters) wake();
    }
  }
}
