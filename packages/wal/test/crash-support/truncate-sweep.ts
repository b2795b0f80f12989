import { MemoryStorage } from '@nori/storage';
import { Wal, type FsyncPolicy } from '../../src/index.js';
import { indexOf, record } from '@nori/test-support';
import { CRASH_MODES, MAX_SWEEP_FAILURES, MUTATING_OPS, checkRecovered } from './crash-points.js';
import { ProcessStorage } from './process-storage.js';

/** The operation whose every storage step is a crash point. */
export type TruncateOp = { kind: 'truncateAfter'; index: number } | { kind: 'truncateBefore'; index: number } | { kind: 'gc'; segments: number };

/** Options of {@link runTruncateSweep}. */
export interface TruncateSweepOptions {
  seed: number;
  op: TruncateOp;
  policy: FsyncPolicy;
  preallocate: boolean;
  /** Records in the log before the operation. Default 40. */
  records?: number;
}

/** What a sweep did. */
export interface TruncateSweepResult {
  operations: number;
  crashes: number;
  failures: string[];
}

/** Record number of the record appended right after the operation. */
const AFTER = 1000;

/**
 * The invariant after a crash anywhere in the operation (and the durable append after it):
 * every record keeps its index (record n has index n + 1, the one appended after a cut at k has
 * k + 1); the log is contiguous; it ends at the old end, or (truncateAfter) exactly at the cut,
 * possibly followed by the record appended after it; it starts at index 1, or at the
 * truncateBefore mark, or (GC) at the first record of a segment.
 */
export function checkTruncation(op: TruncateOp, total: number, got: number[][], segmentStarts: ReadonlySet<number>): string[] {
  const problems: string[] = [];
  const cut = op.kind === 'truncateAfter' ? op.index : total;
  got.forEach(([index, id], i) => {
    const wanted = id === AFTER ? cut + 1 : (id as number) + 1;
    if (index !== wanted) problems.push(`record ${id} has index ${index}, expected ${wanted}`);
    const previous = got[i - 1];
    if (previous !== undefined && index !== (previous[0] as number) + 1) problems.push(`hole before index ${index}`);
  });
  const first = got[0]?.[0];
  const last = got[got.length - 1];
  const firstOk =
    first === undefined || first === 1 || (op.kind === 'truncateBefore' && first === op.index) || (op.kind !== 'truncateAfter' && segmentStarts.has(first));
  if (!firstOk) problems.push(`the log starts at index ${String(first)}`);
  const lastId = last?.[1];
  const endOk = lastId === total - 1 || (op.kind === 'truncateAfter' && (lastId === cut - 1 || lastId === AFTER));
  if (!endOk && !(got.length === 0 && op.kind === 'truncateAfter' && cut === 0)) problems.push(`the log ends with record ${String(lastId)}`);
  return problems;
}

async function contents(wal: Wal): Promise<number[][]> {
  const out: number[][] = [];
  for await (const entry of wal.read()) out.push([entry.index, indexOf(entry.key)]);
  return out;
}

async function perform(wal: Wal, op: TruncateOp): Promise<void> {
  if (op.kind === 'truncateAfter') {
    await wal.truncateAfter(op.index);
    await wal.append(record(AFTER), { durable: true });
  } else if (op.kind === 'truncateBefore') {
    await wal.truncateBefore(op.index);
  } else {
    const target = (await wal.segments())[op.segments];
    if (target !== undefined) await wal.deleteSegmentsBefore({ segmentId: target.id, offset: 0 });
  }
}

/**
 * A power loss right before every mutating storage operation of `op` on a log of durable
 * records (forks of the memory disk, both crash modes): each copy is recovered by a fresh WAL,
 * checked with {@link checkTruncation}, and must accept an append with the next index.
 */
export async function runTruncateSweep(options: TruncateSweepOptions): Promise<TruncateSweepResult> {
  const total = options.records ?? 40;
  const memory = new MemoryStorage({ seed: options.seed, sectorSize: 64 });
  const snapshots: { at: number; disk: MemoryStorage }[] = [];
  let armed = false;
  let operations = 0;
  const hook = (op: string): void => {
    if (!armed || !MUTATING_OPS.has(op)) return;
    snapshots.push({ at: operations, disk: memory.fork({ seed: options.seed * 1000 + operations }) });
    operations++;
  };
  const config = { fsync: options.policy, maxSegmentSize: 1024, preallocate: options.preallocate };
  const { wal } = await Wal.open({ ...config, storage: new ProcessStorage(memory, { hook }) });
  const segmentStarts = new Set<number>();
  for (let i = 0; i < total; i += 4) {
    const results = await wal.appendBatch(Array.from({ length: Math.min(4, total - i) }, (_, j) => record(i + j)));
    for (const r of results) if (r.position.offset === 0) segmentStarts.add(r.index);
  }
  await wal.sync();
  armed = true;
  await perform(wal, options.op);
  armed = false;
  await wal.close();
  const failures: string[] = [];
  let crashes = 0;
  for (const snapshot of snapshots) {
    for (const mode of CRASH_MODES) {
      const disk = snapshot.disk.fork();
      disk.crash({ mode });
      crashes++;
      const where = `${options.op.kind}(${'index' in options.op ? options.op.index : options.op.segments}) seed ${options.seed}, crash before operation ${snapshot.at} (${mode})`;
      await checkRecovered(
        disk,
        config,
        where,
        async (recovered) => {
          const got = await contents(recovered);
          const problems = checkTruncation(options.op, total, got, segmentStarts);
          const next = await recovered.append(record(AFTER + 1));
          if (next.index !== recovered.lastIndex || next.index !== (got[got.length - 1]?.[0] ?? recovered.firstIndex - 1) + 1) {
            problems.push(`the next append got index ${next.index} after a log ending at ${String(got[got.length - 1]?.[0])}`);
          }
          return problems;
        },
        failures,
      );
      if (failures.length >= MAX_SWEEP_FAILURES) return { operations, crashes, failures };
    }
  }
  return { operations, crashes, failures };
}
