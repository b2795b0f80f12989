import type { Position } from '../../src/index.js';

/** Orders positions (negative: `a` first). */
export function comparePos(a: Position, b: Position): number {
  return a.segmentId === b.segmentId ? a.offset - b.offset : a.segmentId - b.segmentId;
}

/** `segment:offset`, for messages. */
export function fmtPos(p: Position | undefined): string {
  return p === undefined ? '?' : `${p.segmentId}:${p.offset}`;
}

/** One record of the expected log. */
export interface ExpectedRecord {
  id: number;
  /** Ids of the first and last record of the `appendBatch` this record belongs to. */
  batch?: { first: number; last: number };
  /** Where the WAL said (or a recovery showed) the record lives. */
  position?: Position;
}

/** What a recovery found: one entry per record read back, in log order. */
export interface RecoveredEntry {
  /** The record id, or a description of why the entry is not one of ours. */
  id: number | { error: string };
  position: Position;
}

/**
 * The expected log as one process saw it: records in append-call order (the WAL's order), the
 * highest index acknowledged as durable, and how many leading records GC may have removed.
 */
export interface ExpectedLog {
  records: readonly ExpectedRecord[];
  /** Index of the last record acknowledged durable (-1: none); every record up to it must survive. */
  lastDurable: number;
  /** Records with an index below this may be gone (deleteSegmentsBefore a later record). */
  gcFloor: number;
}

/** Where the recovered log sits inside the expected one: `records[first .. first + count)`. */
export interface RecoveryMatch {
  violations: string[];
  first: number;
  count: number;
}

const MAX_REPORTED = 8;

/**
 * Checks a recovered log against the expected one. The recovered log must be a contiguous run of
 * the expected records, in order, without duplicates or foreign entries; it may start late only
 * where GC allowed it; it must reach at least the last durable acknowledgement; it must not end
 * inside a batch; positions must increase and match the positions the WAL acknowledged.
 */
export function checkRecovery(expected: ExpectedLog, recovered: readonly RecoveredEntry[]): RecoveryMatch {
  const violations: string[] = [];
  const report = (message: string): void => {
    if (violations.length < MAX_REPORTED) violations.push(message);
    else if (violations.length === MAX_REPORTED) violations.push('... more violations');
  };
  const indexOf = new Map<number, number>();
  expected.records.forEach((r, i) => indexOf.set(r.id, i));

  let first = -1;
  let count = 0;
  let contiguous = true;
  const seen = new Set<number>();
  let previous: Position | undefined;
  for (let k = 0; k < recovered.length; k++) {
    const entry = recovered[k] as RecoveredEntry;
    if (previous !== undefined && comparePos(entry.position, previous) <= 0) {
      report(`entry #${k} at ${fmtPos(entry.position)} does not come after ${fmtPos(previous)}`);
    }
    previous = entry.position;
    if (typeof entry.id !== 'number') {
      report(`entry #${k} at ${fmtPos(entry.position)}: ${entry.id.error}`);
      continue;
    }
    const id = entry.id;
    if (seen.has(id)) {
      report(`record ${id} appears twice (entry #${k} at ${fmtPos(entry.position)})`);
      continue;
    }
    seen.add(id);
    const index = indexOf.get(id);
    if (index === undefined) {
      report(`record ${id} at ${fmtPos(entry.position)} was never appended (or was lost earlier)`);
      continue;
    }
    if (first < 0) {
      first = index;
    } else if (index !== first + count) {
      contiguous = false;
      const missing = expected.records[first + count];
      report(
        index > first + count
          ? `hole: record ${missing?.id ?? '?'} is missing but later record ${id} (entry #${k}) survived`
          : `record ${id} (entry #${k}) is out of order`,
      );
      // Resynchronise on this record so one hole is reported once.
      first = index - count;
    }
    count++;
    const acked = expected.records[index]?.position;
    if (acked !== undefined && comparePos(acked, entry.position) !== 0) {
      report(`record ${id} was acknowledged at ${fmtPos(acked)} but recovered at ${fmtPos(entry.position)}`);
    }
  }

  const start = first < 0 ? Number.POSITIVE_INFINITY : first;
  const end = first < 0 ? -1 : first + count - 1;
  // After a hole or a reordering, `first` is a resynchronisation guess: no start checks then.
  if (contiguous && first > expected.gcFloor) {
    const lost = expected.records[expected.gcFloor];
    report(`records before ${expected.records[first]?.id ?? '?'} are gone but GC only allowed removing ${expected.gcFloor} (first lost: ${lost?.id ?? '?'})`);
  }
  if (expected.lastDurable >= 0 && end < expected.lastDurable) {
    const lastAcked = expected.records[expected.lastDurable];
    const firstLost = expected.records[Math.max(end + 1, Math.min(start, expected.gcFloor))];
    if (!(first < 0 && expected.lastDurable < expected.gcFloor)) {
      report(`acknowledged record ${lastAcked?.id ?? '?'} lost (first missing: ${firstLost?.id ?? '?'}; recovered ${count} records)`);
    }
  }
  if (end >= 0) {
    const last = expected.records[end];
    if (last?.batch !== undefined && last.batch.last !== last.id) {
      report(`partial batch ${last.batch.first}..${last.batch.last}: recovery ends at ${last.id}`);
    }
  }
  if (contiguous && first >= 0) {
    const head = expected.records[first];
    if (head?.batch !== undefined && head.batch.first !== head.id && first > expected.gcFloor) {
      report(`partial batch ${head.batch.first}..${head.batch.last}: recovery starts at ${head.id}`);
    }
  }
  return { violations, first: Math.max(first, 0), count };
}

/**
 * The expected log of a running workload, fed by acknowledgements: append order, durable
 * acknowledgements (always / durable: true / sync() / durablePosition) and GC requests.
 */
export class LogModel implements ExpectedLog {
  records: ExpectedRecord[] = [];
  /** Every id ever withdrawn (see {@link LogModel.withdraw}). */
  readonly withdrawn = new Set<number>();
  lastDurable = -1;
  gcFloor = 0;
  #indexOf = new Map<number, number>();

  /** Adds records in append-call order; a group of more than one is one batch. */
  submit(ids: readonly number[]): void {
    const batch = ids.length > 1 ? { first: ids[0] as number, last: ids[ids.length - 1] as number } : undefined;
    for (const id of ids) {
      this.#indexOf.set(id, this.records.length);
      this.records.push(batch === undefined ? { id } : { id, batch });
    }
  }

  /** Number of records submitted so far (capture before `sync()`). */
  get length(): number {
    return this.records.length;
  }

  /** Index of a record id in the expected log. */
  indexOf(id: number): number | undefined {
    return this.#indexOf.get(id);
  }

  /** The WAL resolved an append (or batch) with these positions. */
  positions(ids: readonly number[], positions: readonly Position[]): void {
    ids.forEach((id, i) => {
      const index = this.#indexOf.get(id);
      const position = positions[i];
      if (index !== undefined && position !== undefined) (this.records[index] as ExpectedRecord).position = { ...position };
    });
  }

  /** Records `ids` were acknowledged durable (with everything before them). */
  durable(ids: readonly number[]): void {
    for (const id of ids) {
      const index = this.#indexOf.get(id);
      if (index !== undefined && index > this.lastDurable) this.lastDurable = index;
    }
  }

  /** A `sync()` issued when `count` records were submitted resolved. */
  durableCount(count: number): void {
    if (count - 1 > this.lastDurable) this.lastDurable = count - 1;
  }

  /**
   * The WAL reports `durable` as its durable position: every record with a known position before
   * it is acknowledged durable.
   */
  durablePosition(durable: Position): void {
    for (let i = this.records.length - 1; i > this.lastDurable; i--) {
      const p = (this.records[i] as ExpectedRecord).position;
      if (p !== undefined && comparePos(p, durable) < 0) {
        this.lastDurable = i;
        return;
      }
    }
  }

  /**
   * Everything submitted up to record `id` is durable (a `sync()` or `close()` that resolved;
   * `id` is the last record submitted before the call, possibly withdrawn since).
   */
  durableThroughId(id: number): void {
    for (let i = this.records.length - 1; i > this.lastDurable; i--) {
      if ((this.records[i] as ExpectedRecord).id <= id) {
        this.lastDurable = i;
        return;
      }
    }
  }

  /** Id of the last record submitted so far (0 if none). */
  get lastId(): number {
    return this.records[this.records.length - 1]?.id ?? 0;
  }

  /**
   * Records that were never written (an aborted append, an append after close): they leave the
   * expected log and must never appear in a recovered one.
   */
  withdraw(ids: readonly number[]): void {
    for (const id of ids) {
      this.withdrawn.add(id);
      const index = this.#indexOf.get(id);
      if (index === undefined) continue;
      this.records.splice(index, 1);
      if (index <= this.lastDurable) this.lastDurable--;
      if (index < this.gcFloor) this.gcFloor--;
      this.#indexOf = new Map(this.records.map((r, i) => [r.id, i]));
    }
  }

  /** `deleteSegmentsBefore(position of record id)` was called. */
  gc(id: number): void {
    const index = this.#indexOf.get(id);
    if (index !== undefined && index > this.gcFloor) this.gcFloor = index;
  }

  /** Positions acknowledged so far must increase in append order. */
  positionViolations(): string[] {
    const out: string[] = [];
    let previous: ExpectedRecord | undefined;
    for (const r of this.records) {
      if (r.position === undefined) continue;
      if (previous?.position !== undefined && comparePos(r.position, previous.position) <= 0) {
        out.push(`record ${r.id} acknowledged at ${fmtPos(r.position)}, not after record ${previous.id} at ${fmtPos(previous.position)}`);
        if (out.length >= MAX_REPORTED) break;
      }
      previous = r;
    }
    return out;
  }

  /**
   * Continues from a recovered log: it becomes the new expected log, every record of it durable
   * (it was read back from what survived), GC floor shifted.
   */
  adopt(match: RecoveryMatch, recovered: readonly RecoveredEntry[]): void {
    const next: ExpectedRecord[] = [];
    recovered.forEach((entry, k) => {
      const old = this.records[match.first + k];
      if (typeof entry.id !== 'number' || old === undefined) return;
      next.push(
        old.batch === undefined ? { id: entry.id, position: { ...entry.position } } : { id: entry.id, batch: old.batch, position: { ...entry.position } },
      );
    });
    this.gcFloor = Math.max(0, this.gcFloor - match.first);
    this.records = next;
    this.lastDurable = next.length - 1;
    this.#indexOf = new Map(next.map((r, i) => [r.id, i]));
  }
}

/**
 * `expected` without the records in `withdrawn`: a snapshot of the model taken before an
 * aborted append's rejection arrived still lists a record that was never written.
 */
export function withoutWithdrawn(expected: ExpectedLog, withdrawn: ReadonlySet<number>): ExpectedLog {
  let { lastDurable, gcFloor } = expected;
  const records: ExpectedRecord[] = [];
  expected.records.forEach((record, index) => {
    if (!withdrawn.has(record.id)) {
      records.push(record);
      return;
    }
    if (index <= expected.lastDurable) lastDurable--;
    if (index < expected.gcFloor) gcFloor--;
  });
  return { records, lastDurable, gcFloor };
}
