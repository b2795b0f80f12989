import { bytesToString } from '../bytes.js';
import { KvStore } from '../kv-store.js';
import { formatPosition } from '../position.js';
import type { KvOpenReport } from '../types.js';
import { formatBytes, formatCount, formatDuration, formatRate, plural, renderTable } from '../cli/format.js';
import { createProgressReporter } from '../cli/progress.js';
import { prepareDemoDir } from './demo-dir.js';
import { mulberry32 } from './prng.js';
import { DEMO_POLICY_LABEL, DEMO_STORE_OPTIONS, demoPipelineDepth } from './settings.js';
import { verifyRecoveredState } from './verify.js';
import { runWritePhase } from './write-phase.js';
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
  const last = write.killedAt;
  const acknowledged = last?.acked ?? 0;

  const verifyNow = Date.now();
  const progress = createProgressReporter();
  const reopened = await timed(() => KvStore.open({ dir, ...DEMO_STORE_OPTIONS, now: () => verifyNow, onProgress: progress.onProgress }));
  progress.stop();
  const recovery = reopened.value.openReport;
  out(`2. recover ${describeRecovery(recovery, reopened.ms)}`);

  const verifyStarted = performance.now();
  const actual = readAll(reopened.value);
  const verification = verifyRecoveredState(operations, acknowledged, actual, verifyNow);
  const verifyMs = performance.now() - verifyStarted;
  const matched = verification.matchedOperations;
  if (matched === undefined) {
    await reopened.value.close();
    out(`3. verify  FAILED: the recovered store matches no state that contains all ${formatCount(acknowledged)} acknowledged operations`);
    for (const difference of verification.differences) out(`            ${difference}`);
    out('');
    out(`LOST DATA. Reproduce with: nori-kv demo --records ${records} --seed ${seed}`);
    return 1;
  }
  out(
    `3. verify  the store holds exactly the first ${formatCount(matched)} operations ` +
      `(${formatCount(acknowledged)} acknowledged + ${formatCount(matched - acknowledged)} in flight at the kill);`,
  );
  out(
    `            ${formatCount(verification.keysCompared)} keys compared, ${plural(verification.expiredKeys, 'session')} expired on schedule, ` +
      '0 acknowledged writes lost',
  );

  const compactStarted = performance.now();
  const compacted = await reopened.value.compact({ onProgress: progress.onProgress });
  progress.stop();
  await reopened.value.close();
  const compactMs = performance.now() - compactStarted;
  const again = await timed(() => KvStore.open({ dir, ...DEMO_STORE_OPTIONS, now: () => verifyNow }));
  const identical = sameState(actual, readAll(again.value));
  await again.value.close();
  out(
    `4. compact snapshot of ${formatCount(compacted.snapshot.entries)} keys (${formatBytes(compacted.snapshot.bytes)}) in ${formatDuration(compactMs)}, ` +
      `${plural(compacted.segmentsDeleted.length, 'segment')} deleted;`,
  );
  out(`            reopened from it in ${formatDuration(again.ms)}: ${identical ? 'state identical' : 'STATE DIFFERS'}`);
  out('');

  const writeMs = last?.elapsedMs ?? 0;
  const rows: string[][] = [
    ['phase', 'result', 'time', 'throughput'],
    [
      'write',
      `${formatCount(acknowledged)} ops / ${formatCount(last?.records ?? 0)} records acked, ${formatCount(last === undefined || last.fsyncs === 0 ? 0 : last.records / last.fsyncs)} records/fsync`,
      formatDuration(writeMs),
      formatRate(last?.records ?? 0, writeMs, 'records'),
    ],
    [
      'crash',
      write.finishedBeforeKill ? 'SIGKILL after the workload finished' : `SIGKILL at ${Math.round((100 * acknowledged) / operations.length)}% of the workload`,
      '-',
      '-',
    ],
    [
      'recover',
      `${formatCount(recovery.snapshot?.entries ?? 0)} snapshot keys + ${formatCount(recovery.replayedRecords)} WAL records`,
      formatDuration(reopened.ms),
      formatRate((recovery.snapshot?.entries ?? 0) + recovery.replayedRecords, reopened.ms, 'entries'),
    ],
    [
      'verify',
      `${formatCount(acknowledged)}/${formatCount(acknowledged)} acknowledged ops present`,
      formatDuration(verifyMs),
      formatRate(verification.keysCompared, verifyMs, 'keys'),
    ],
    [
      'compact',
      `${formatCount(compacted.snapshot.entries)} keys, ${plural(compacted.segmentsDeleted.length, 'segment')} deleted`,
      formatDuration(compactMs),
      '-',
    ],
    ['reopen', 'from the new snapshot', formatDuration(again.ms), formatRate(compacted.snapshot.entries, again.ms, 'keys')],
  ];
  for (const line of renderTable(rows, new Set([2, 3])).split('\n')) out(`  ${line}`);
  out('');
  if (!identical) {
    out('FAILED: the state read back from the snapshot differs from the recovered state.');
    return 1;
  }
  out(`OK: every acknowledged write survived the crash. Look around: nori-kv --dir ${dir} stats`);
  return 0;
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
