import { bytesToString } from '../bytes.js';
import { KvStore } from '../kv-store.js';
import { formatPosition } from '../position.js';
import type { KvCompactOptions, KvCompactReport, KvOpenReport } from '../types.js';
import { formatBytes, formatCount, formatDuration, formatRate, plural, renderTable } from '../cli/format.js';
import { createProgressReporter } from '../cli/progress.js';
import { prepareDemoDir } from './demo-dir.js';
import { mulberry32 } from './prng.js';
import { DEMO_POLICY_LABEL, DEMO_STORE_OPTIONS, demoPipelineDepth } from './settings.js';
import { verifyRecoveredState, type DemoVerification } from './verify.js';
import { runWritePhase, type WritePhase } from './write-phase.js';
import { demoWorkload } from './workload.js';

/** Options of {@link runDemo}. */
export interface DemoOptions {
  dir: string;
  records: number;
  seed: number;
  /** Path of the CLI script; the writer child runs `<cliPath> demo-writer`. */
  cliPath: string;
  /** Where the report goes. */
  out: (line: string) => void;
}

/** What the write phase left, as the later phases report it. */
interface Written {
  readonly write: WritePhase;
  readonly acknowledged: number;
  readonly operations: number;
}

/** The recovered store's state as verified (step 3). */
interface Verified {
  readonly actual: Map<string, string>;
  readonly verification: DemoVerification;
  readonly verifyMs: number;
}

/** Step 4: compaction and the reopen from its snapshot. */
interface Compacted {
  readonly result: KvCompactReport;
  readonly compactMs: number;
  readonly reopenMs: number;
  readonly identical: boolean;
}

/**
 * The project's demo: a child process writes a realistic workload to a store and reports every
 * acknowledged write; this process SIGKILLs it mid-workload, reopens the store, and proves the
 * recovered state holds every acknowledged write (and nothing that was never written). Returns
 * the process exit code: 0 when nothing was lost, 1 otherwise.
 */
export async function runDemo(options: DemoOptions): Promise<number> {
  const { dir, records, seed, out } = options;
  const startedAt = Date.now();
  const random = mulberry32(seed);
  const workload = demoWorkload({ records, seed, startedAt });
  const operations = workload.operations;
  const killAt = Math.floor(operations.length * (0.55 + 0.3 * random()));
  const compactAt = Math.floor(operations.length * (0.2 + 0.15 * random()));

  const dirState = await prepareDemoDir(dir);
  out('nori-kv demo: a key-value store on the nori WAL is SIGKILLed mid-write and must lose nothing');
  out('');
  out(`  store     ${dir} (${dirState === 'created' ? 'new' : 'wiped and reused'})`);
  out(`  workload  ${formatCount(workload.records)} records in ${formatCount(operations.length)} operations: user upserts,`);
  out(`            sessions with TTLs, deletes, atomic order batches (seed ${seed})`);
  out(`  policy    ${DEMO_POLICY_LABEL}; the writer keeps ${formatCount(demoPipelineDepth(operations.length))} operations in flight`);
  out('');

  const write = await runWritePhase({ cliPath: options.cliPath, args: { dir, records, seed, startedAt, compactAt }, killAt, out });
  const written: Written = { write, acknowledged: write.killedAt?.acked ?? 0, operations: operations.length };

  const verifyNow = Date.now();
  const progress = createProgressReporter();
  const reopened = await timed(() => KvStore.open({ dir, ...DEMO_STORE_OPTIONS, now: () => verifyNow, onProgress: progress.onProgress }));
  progress.stop();
  const store = reopened.value;
  out(`2. recover ${describeRecovery(store.openReport, reopened.ms)}`);

  const verified = verify(store, operations, written.acknowledged, verifyNow);
  if (verified.verification.matchedOperations === undefined) {
    await store.close();
    reportLoss(verified.verification, written.acknowledged, options);
    return 1;
  }
  reportVerified(verified.verification, written.acknowledged, out);

  const compacted = await compactAndReopen(store, { dir, verifyNow, actual: verified.actual, onProgress: progress.onProgress });
  progress.stop();
  reportCompaction(compacted, out);

  const rows = summaryRows({ written, recovery: store.openReport, recoverMs: reopened.ms, verified, compacted });
  for (const line of renderTable(rows, new Set([2, 3])).split('\n')) out(`  ${line}`);
  out('');
  if (!compacted.identical) {
    out('FAILED: the state read back from the snapshot differs from the recovered state.');
    return 1;
  }
  out(`OK: every acknowledged write survived the crash. Look around: nori-kv --dir ${dir} stats`);
  return 0;
}

/** Step 3: reads the recovered state and checks it against the acknowledged operations. */
function verify(store: KvStore, operations: Parameters<typeof verifyRecoveredState>[0], acknowledged: number, now: number): Verified {
  const started = performance.now();
  const actual = readAll(store);
  const verification = verifyRecoveredState(operations, acknowledged, actual, now);
  return { actual, verification, verifyMs: performance.now() - started };
}

function reportLoss(verification: DemoVerification, acknowledged: number, options: DemoOptions): void {
  const { out, records, seed } = options;
  out(`3. verify  FAILED: the recovered store matches no state that contains all ${formatCount(acknowledged)} acknowledged operations`);
  for (const difference of verification.differences) out(`            ${difference}`);
  out('');
  out(`LOST DATA. Reproduce with: nori-kv demo --records ${records} --seed ${seed}`);
}

function reportVerified(verification: DemoVerification, acknowledged: number, out: (line: string) => void): void {
  const matched = verification.matchedOperations ?? 0;
  out(
    `3. verify  the store holds exactly the first ${formatCount(matched)} operations ` +
      `(${formatCount(acknowledged)} acknowledged + ${formatCount(matched - acknowledged)} in flight at the kill);`,
  );
  out(
    `            ${formatCount(verification.keysCompared)} keys compared, ${plural(verification.expiredKeys, 'session')} expired on schedule, ` +
      '0 acknowledged writes lost',
  );
}

/** Step 4: compacts `store` (then closes it) and reopens from the snapshot to compare states. */
async function compactAndReopen(
  store: KvStore,
  how: { dir: string; verifyNow: number; actual: ReadonlyMap<string, string>; onProgress: KvCompactOptions['onProgress'] },
): Promise<Compacted> {
  const started = performance.now();
  const result = await store.compact(how.onProgress === undefined ? {} : { onProgress: how.onProgress });
  await store.close();
  const compactMs = performance.now() - started;
  const again = await timed(() => KvStore.open({ dir: how.dir, ...DEMO_STORE_OPTIONS, now: () => how.verifyNow }));
  const identical = sameState(how.actual, readAll(again.value));
  await again.value.close();
  return { result, compactMs, reopenMs: again.ms, identical };
}

function reportCompaction(compacted: Compacted, out: (line: string) => void): void {
  const { snapshot, segmentsDeleted } = compacted.result;
  out(
    `4. compact snapshot of ${formatCount(snapshot.entries)} keys (${formatBytes(snapshot.bytes)}) in ${formatDuration(compacted.compactMs)}, ` +
      `${plural(segmentsDeleted.length, 'segment')} deleted;`,
  );
  out(`            reopened from it in ${formatDuration(compacted.reopenMs)}: ${compacted.identical ? 'state identical' : 'STATE DIFFERS'}`);
  out('');
}

/** The closing table: one row per phase with what it did, how long it took and its rate. */
function summaryRows(phases: { written: Written; recovery: KvOpenReport; recoverMs: number; verified: Verified; compacted: Compacted }): string[][] {
  const { written, recovery, recoverMs, verified, compacted } = phases;
  const { acknowledged, write } = written;
  const last = write.killedAt;
  const writeMs = last?.elapsedMs ?? 0;
  const recovered = (recovery.snapshot?.entries ?? 0) + recovery.replayedRecords;
  const snapshot = compacted.result.snapshot;
  const deleted = compacted.result.segmentsDeleted.length;
  return [
    ['phase', 'result', 'time', 'throughput'],
    [
      'write',
      `${formatCount(acknowledged)} ops / ${formatCount(last?.records ?? 0)} records acked, ${formatCount(last === undefined || last.fsyncs === 0 ? 0 : last.records / last.fsyncs)} records/fsync`,
      formatDuration(writeMs),
      formatRate(last?.records ?? 0, writeMs, 'records'),
    ],
    [
      'crash',
      write.finishedBeforeKill ? 'SIGKILL after the workload finished' : `SIGKILL at ${Math.round((100 * acknowledged) / written.operations)}% of the workload`,
      '-',
      '-',
    ],
    [
      'recover',
      `${formatCount(recovery.snapshot?.entries ?? 0)} snapshot keys + ${formatCount(recovery.replayedRecords)} WAL records`,
      formatDuration(recoverMs),
      formatRate(recovered, recoverMs, 'entries'),
    ],
    [
      'verify',
      `${formatCount(acknowledged)}/${formatCount(acknowledged)} acknowledged ops present`,
      formatDuration(verified.verifyMs),
      formatRate(verified.verification.keysCompared, verified.verifyMs, 'keys'),
    ],
    ['compact', `${formatCount(snapshot.entries)} keys, ${plural(deleted, 'segment')} deleted`, formatDuration(compacted.compactMs), '-'],
    ['reopen', 'from the new snapshot', formatDuration(compacted.reopenMs), formatRate(snapshot.entries, compacted.reopenMs, 'keys')],
  ];
}

/** Runs `run` and measures it. */
export async function timed<T>(run: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await run();
  return { value, ms: performance.now() - started };
}

/** Every live key and value of `store`, as strings. */
export function readAll(store: KvStore): Map<string, string> {
  const state = new Map<string, string>();
  for (const entry of store.scan()) state.set(bytesToString(entry.key), bytesToString(entry.value));
  return state;
}

/** True when both states hold the same keys and values. */
export function sameState(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [key, value] of a) if (b.get(key) !== value) return false;
  return true;
}

function describeRecovery(report: KvOpenReport, ms: number): string {
  const wal = report.wal;
  const tail =
    wal.bytesTruncated > 0
      ? `${wal.tail} tail, ${formatBytes(wal.bytesTruncated)} cut off`
      : wal.tail === 'zero-filled'
        ? 'log ends in preallocated zeros, nothing torn'
        : `${wal.tail} tail`;
  const batches = wal.batchesRolledBack > 0 ? `, ${plural(wal.batchesRolledBack, 'partial batch', 'partial batches')} rolled back` : '';
  const snapshot =
    report.snapshot === undefined ? 'no snapshot' : `snapshot at ${formatPosition(report.snapshot.position)} (${formatCount(report.snapshot.entries)} keys)`;
  return `reopened in ${formatDuration(ms)}: ${snapshot} + ${formatCount(report.replayedRecords)} WAL records replayed; ${tail}${batches}`;
}
