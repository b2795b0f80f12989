import type { ResolvedConfig } from './config.js';
import type { WalError } from './errors.js';
import { SegmentGc } from './gc.js';
import type { LogView } from './log-view.js';
import type { StartedWal } from './startup.js';
import { cutAfter, type CutHost } from './truncate-after.js';
import type { Position } from './types.js';
import type { Writer } from './writer.js';

/** What the WAL itself gives the changes of its log: its state, through narrow callbacks. */
export interface ChangesHost {
  /** True once the WAL closes: GC deletes nothing more. */
  isClosing(): boolean;
  /** The smallest segment id an open reader or a GC hold still needs (`Infinity` when none). */
  protectedFrom(): number;
  /** The writer to stop for a cut. @throws WalError when the WAL may not be changed. */
  writerFor(what: string): Writer;
  /** Replaces the WAL's writer (undefined while a cut runs). */
  setWriter(writer: Writer | undefined): void;
  /** The end of the log while no writer runs. */
  setEnd(end: Position): void;
  /** The WAL failed: it accepts no more writes. */
  fail(error: WalError): void;
}

/**
 * The changes a WAL makes to its log besides appends: GC (`deleteSegmentsBefore`),
 * `truncateBefore` and `truncateAfter`. They run one at a time, in call order; while a
 * `truncateAfter` runs, {@link LogChanges.paused} is set and appends, syncs and point reads wait.
 */
export class LogChanges {
  private chain: Promise<unknown> = Promise.resolve();
  private pause: Promise<void> | undefined;
  private readonly gc: SegmentGc;
  private readonly cutHost: CutHost;

  constructor(
    config: ResolvedConfig,
    started: StartedWal,
    view: LogView,
    private readonly host: ChangesHost,
  ) {
    const { sealedLog } = started;
    const { table, sequence, handles } = view;
    const { storage, observer } = config;
    this.gc = new SegmentGc(
      { storage, observer, table, sequence, handles, sealedLog, isClosing: () => host.isClosing(), protectedFrom: () => host.protectedFrom() },
      started.anchor,
    );
    this.cutHost = { config, view, sealedLog, setWriter: (w) => host.setWriter(w), setEnd: (e) => host.setEnd(e), fail: (e) => host.fail(e) };
  }

  /** Set while a `truncateAfter` runs; resolves (never rejects) when it ends. */
  get paused(): Promise<void> | undefined {
    return this.pause;
  }

  /** Resolves once every change issued so far has ended (never rejects). */
  idle(): Promise<unknown> {
    return this.chain;
  }

  /** Deletes whole segments before segment `before` (see `Wal.deleteSegmentsBefore`). */
  deleteSegmentsBefore(before: number): Promise<number[]> {
    return this.serial(() => this.gc.collect(before));
  }

  /** Persists the `truncateBefore` mark, then deletes whole segments below it. */
  truncateBefore(index: number): Promise<number[]> {
    return this.serial(() => this.gc.markBefore(index));
  }

  /** Cuts the log after `index`; appends, syncs and point reads wait meanwhile. */
  truncateAfter(index: number): Promise<void> {
    const run = this.serial(() => cutAfter(this.cutHost, this.host.writerFor('truncateAfter'), index));
    const paused = run.then(
      () => undefined,
      () => undefined,
    );
    this.pause = paused;
    void paused.then(() => {
      if (this.pause === paused) this.pause = undefined;
    });
    return run;
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.chain.then(task);
    this.chain = run.catch(() => undefined);
    return run;
  }
}
