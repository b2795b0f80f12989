import type { AppendOptions, FsyncPolicy, Position, Wal } from '../../src/index.js';
import { checkRecovery, comparePos, fmtPos, type LogModel, type RecoveredEntry } from './model.js';
import type { Rng } from '@nori/test-support';
import { identify, recordFor, type RecordProfile } from './records.js';

/** Waits `ms` milliseconds (real time, or a fake clock in tests that need exact replays). */
export type Sleep = (ms: number) => Promise<void>;

/** Real-time {@link Sleep}. */
export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Lets the event loop run timers and I/O. Campaigns on MemoryStorage resolve everything as
 * microtasks: without a yield per case a long campaign starves the test worker's RPC with vitest
 * for minutes ("Timeout calling onTaskUpdate" under load).
 */
export const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A WAL call that failed, as the workload saw it. */
export interface WorkloadError {
  what: string;
  error: unknown;
}

/** Everything a {@link Workload} drives and feeds. */
export interface WorkloadContext {
  wal: Wal;
  model: LogModel;
  rng: Rng;
  profile: RecordProfile;
  policy: FsyncPolicy;
  /** Allocates the next unique record id. */
  nextId: () => number;
  sleep: Sleep;
  /**
   * True while this process's outcomes are fed to the model. Acknowledgements that arrive after
   * a crash still count (they report storage operations that completed before it).
   */
  live: () => boolean;
  /** True once the process crashed: its failures are expected and not reported. */
  dead?: () => boolean;
  /** Receives one line per call and outcome (replay debugging). */
  trace?: ((line: string) => void) | undefined;
}

/** `code<-cause.code: message` of an error, for reports. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const cause = (error as { cause?: unknown }).cause;
    const causeCode = typeof cause === 'object' && cause !== null ? (cause as { code?: unknown }).code : undefined;
    return `${typeof code === 'string' ? code : error.name}${typeof causeCode === 'string' ? `<-${causeCode}` : ''}: ${error.message}`;
  }
  return String(error);
}

/** Reads the whole log and maps every entry to a record id (or a reason it is not one). */
export async function readAll(wal: Wal, profile: RecordProfile, from?: Position): Promise<RecoveredEntry[]> {
  const out: RecoveredEntry[] = [];
  for await (const entry of wal.read(from === undefined ? undefined : { from })) {
    const found = identify(entry, profile);
    out.push({ id: 'id' in found ? found.id : found, position: entry.position });
  }
  return out;
}

/**
 * A random concurrent workload against one open WAL: single appends (some `durable: true`),
 * batches of 2-5, `sync()`, GC (`deleteSegmentsBefore` an acknowledged position), live readers,
 * and waits on a random subset of the in-flight calls, so several appends are always in flight.
 * Every acknowledgement goes into the {@link LogModel}; failures are collected in `errors`.
 */
export class Workload {
  readonly inflight = new Set<Promise<unknown>>();
  readonly errors: WorkloadError[] = [];
  /** Problems a live reader saw (a reader must always see a consistent log). */
  readonly readerViolations: string[] = [];
  /** First ids of acknowledged appends (GC targets). */
  readonly resolved: number[] = [];
  readonly #ctx: WorkloadContext;
  readonly #alwaysDurable: boolean;

  #dead(): boolean {
    return this.#ctx.dead?.() ?? false;
  }

  #note(): string {
    return this.#dead() ? ' (after the crash)' : '';
  }

  constructor(ctx: WorkloadContext) {
    this.#ctx = ctx;
    this.#alwaysDurable = ctx.policy.kind === 'always';
  }

  #track(p: Promise<unknown>): void {
    const done: Promise<unknown> = p.finally(() => this.inflight.delete(done));
    this.inflight.add(done);
  }

  #onError(what: string): (error: unknown) => void {
    return (error) => {
      if (this.#ctx.live() && !this.#dead()) this.errors.push({ what, error });
    };
  }

  /**
   * Options of one append: `durable`, and maybe an `AbortSignal` that fires at once or after
   * `abortAfterTicks` microtasks (racing the writer). An aborted append is withdrawn from the
   * model: its record must never show up.
   */
  #options(ids: readonly number[], durable: boolean, abortAfterTicks: number | undefined): AppendOptions | undefined {
    if (abortAfterTicks === undefined) return durable ? { durable: true } : undefined;
    const controller = new AbortController();
    const fire = (n: number): void => {
      if (n <= 0) controller.abort(new Error(`test abort of ${ids[0]}`));
      else queueMicrotask(() => fire(n - 1));
    };
    if (abortAfterTicks === 0) queueMicrotask(() => controller.abort());
    else fire(abortAfterTicks);
    return durable ? { durable: true, signal: controller.signal } : { signal: controller.signal };
  }

  #onReject(what: string, ids: readonly number[]): (error: unknown) => void {
    const onError = this.#onError(what);
    return (error) => {
      this.#ctx.trace?.(`  ${what} rejected ${describeError(error)}${this.#note()}`);
      if ((error as { code?: unknown }).code === 'ERR_ABORTED' && this.#ctx.live()) {
        this.#ctx.model.withdraw(ids);
        this.aborted += ids.length;
        return;
      }
      onError(error);
    };
  }

  /** Records withdrawn after an abort. */
  aborted = 0;

  /** Appends one record (not awaited). */
  append(durable: boolean, abortAfterTicks?: number): void {
    const { wal, model, profile } = this.#ctx;
    const id = this.#ctx.nextId();
    model.submit([id]);
    const acked = durable || this.#alwaysDurable;
    this.#ctx.trace?.(`append ${id} durable=${String(durable)} abort=${String(abortAfterTicks)}`);
    this.#track(
      wal.append(recordFor(id, profile), this.#options([id], durable, abortAfterTicks)).then(
        ({ position }) => {
          this.#ctx.trace?.(`  append ${id} -> ${fmtPos(position)}${this.#note()}`);
          if (!this.#ctx.live()) return;
          model.positions([id], [position]);
          if (acked) model.durable([id]);
          this.resolved.push(id);
        },
        this.#onReject(`append ${id}`, [id]),
      ),
    );
  }

  /** Appends a batch of `size` records (not awaited). */
  appendBatch(size: number, durable: boolean, abortAfterTicks?: number): void {
    const { wal, model, profile } = this.#ctx;
    const ids = Array.from({ length: size }, () => this.#ctx.nextId());
    model.submit(ids);
    const acked = durable || this.#alwaysDurable;
    this.#ctx.trace?.(`appendBatch ${ids[0]}..${ids[ids.length - 1]} durable=${String(durable)} abort=${String(abortAfterTicks)}`);
    this.#track(
      wal
        .appendBatch(
          ids.map((id) => recordFor(id, profile)),
          this.#options(ids, durable, abortAfterTicks),
        )
        .then(
          (results) => {
            const positions = results.map((r) => r.position);
            this.#ctx.trace?.(`  appendBatch ${ids[0]} -> ${positions.map(fmtPos).join(' ')}${this.#note()}`);
            if (!this.#ctx.live()) return;
            if (positions.length !== ids.length) {
              this.readerViolations.push(`appendBatch returned ${positions.length} positions for ${ids.length} records`);
            }
            model.positions(ids, positions);
            if (acked) model.durable(ids);
            this.resolved.push(ids[0] as number);
          },
          this.#onReject(`appendBatch ${ids[0]}..${ids[ids.length - 1]}`, ids),
        ),
    );
  }

  /** `sync()`: on success everything submitted before the call is durable (not awaited). */
  sync(): void {
    const { wal, model } = this.#ctx;
    const lastId = model.lastId;
    this.#ctx.trace?.(`sync (last id ${lastId})`);
    this.#track(
      wal.sync().then((durable: Position) => {
        this.#ctx.trace?.(`  sync -> ${fmtPos(durable)}${this.#note()}`);
        if (!this.#ctx.live()) return;
        model.durableThroughId(lastId);
        model.durablePosition(durable);
      }, this.#onError('sync')),
    );
  }

  /** GC before the position of a random acknowledged record (not awaited). */
  gc(): void {
    const { wal, model, rng } = this.#ctx;
    if (this.resolved.length === 0) return;
    const id = rng.pick(this.resolved);
    const index = model.indexOf(id);
    const position = index === undefined ? undefined : model.records[index]?.position;
    if (position === undefined) return;
    model.gc(id);
    this.#ctx.trace?.(`deleteSegmentsBefore(${fmtPos(position)}) (record ${id})`);
    this.#track(wal.deleteSegmentsBefore(position).catch(this.#onError(`deleteSegmentsBefore(${fmtPos(position)})`)));
  }

  /** Reads the whole log now and checks it is a consistent run of what was appended. */
  async liveRead(): Promise<void> {
    const { wal, model, profile, rng } = this.#ctx;
    // Half of the readers start at an acknowledged record: it must come first.
    const fromId = this.resolved.length > 0 && rng.chance(0.5) ? rng.pick(this.resolved) : undefined;
    const fromIndex = fromId === undefined ? undefined : model.indexOf(fromId);
    const from = fromIndex === undefined ? undefined : model.records[fromIndex]?.position;
    try {
      const seen = await readAll(wal, profile, from);
      if (!this.#ctx.live() || this.#dead()) return;
      const view = checkRecovery({ records: model.records, lastDurable: -1, gcFloor: from === undefined ? model.gcFloor : (fromIndex as number) }, seen);
      for (const v of view.violations) this.readerViolations.push(`live reader${from === undefined ? '' : ` from ${fmtPos(from)}`}: ${v}`);
      if (from !== undefined && seen[0]?.id !== fromId) {
        this.readerViolations.push(`reader from ${fmtPos(from)} started at ${JSON.stringify(seen[0]?.id)}, expected record ${fromId}`);
      }
    } catch (error) {
      // A reader may start in a segment that GC was allowed to delete.
      const gone = (error as { code?: unknown }).code === 'ERR_SEGMENT_GONE' && fromIndex !== undefined && fromIndex < model.gcFloor;
      if (!gone) this.#onError('live read')(error);
    }
  }

  /** One random step; returns after whatever waiting the step chose. */
  async step(): Promise<void> {
    const { rng, policy } = this.#ctx;
    const durableChance = this.#alwaysDurable ? 0 : 0.15;
    const roll = rng.next();
    const abort = rng.chance(0.05) ? rng.int(4) : undefined;
    if (roll < 0.42) this.append(rng.chance(durableChance), abort);
    else if (roll < 0.56) this.appendBatch(rng.range(2, 5), rng.chance(durableChance), abort);
    else if (roll < 0.63) this.sync();
    else if (roll < 0.68) this.gc();
    else if (roll < 0.71) await this.liveRead();
    else if (roll < 0.86) {
      const list = [...this.inflight];
      if (list.length > 0) await (list.length > 8 ? Promise.allSettled(list) : rng.pick(list));
    } else if (roll < 0.88 && policy.kind === 'batch') {
      await this.#ctx.sleep(rng.int(4));
    } else {
      for (let n = rng.int(6); n > 0; n--) await Promise.resolve();
    }
    if (this.#ctx.live()) this.observePositions();
  }

  #lastDurable: Position | undefined;

  /**
   * Samples the WAL's watermarks: `durablePosition` acknowledges what lies before it, never moves
   * back, and never passes `writtenPosition`.
   */
  observePositions(): void {
    const { wal, model } = this.#ctx;
    const durable = wal.durablePosition;
    const written = wal.writtenPosition;
    if (this.#lastDurable !== undefined && comparePos(durable, this.#lastDurable) < 0) {
      this.readerViolations.push(`durablePosition went back from ${fmtPos(this.#lastDurable)} to ${fmtPos(durable)}`);
    }
    if (comparePos(durable, written) > 0) {
      this.readerViolations.push(`durablePosition ${fmtPos(durable)} is past writtenPosition ${fmtPos(written)}`);
    }
    this.#lastDurable = durable;
    model.durablePosition(durable);
  }

  /** Waits for every call in flight. */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.inflight]);
  }
}
