import { fork, type ChildProcess } from 'node:child_process';
import { bytesToString } from '../bytes.js';
import { KvError } from '../errors.js';
import { KvStore } from '../kv-store.js';
import { formatPosition } from '../position.js';
import type { KvOpenReport } from '../types.js';
import { formatBytes, formatCount, formatDuration, formatRate, plural, renderTable } from '../cli/format.js';
import { createProgressReporter } from '../cli/progress.js';
import { prepareDemoDir } from './demo-dir.js';
import { mulberry32 } from './prng.js';
import { isWriterMessage, type WriterArguments, type WriterMessage } from './protocol.js';
import { DEMO_POLICY_LABEL, DEMO_STORE_OPTIONS, demoPipelineDepth } from './settings.js';
import { verifyRecoveredState } from './verify.js';
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

/** Hard cap on the write phase; the writer is killed at this point whatever its progress. */
const WRITE_PHASE_LIMIT_MS = 20_000;

interface WritePhase {
  /** The last acknowledgement report received (the kill came right after it). */
  killedAt: Extract<WriterMessage, { type: 'acked' }> | undefined;
  compactionStarted: boolean;
  compaction: Extract<WriterMessage, { type: 'compacted' }> | undefined;
  finishedBeforeKill: boolean;
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

  const write = await runWritePhase(options.cliPath, { dir, records, seed, startedAt, compactAt }, killAt, out);
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
    ['crash', write.finishedBeforeKill ? 'SIGKILL after the workload finished' : `SIGKILL at ${Math.round((100 * acknowledged) / operations.length)}% of the workload`, '-', '-'],
    [
      'recover',
      `${formatCount(recovery.snapshot?.entries ?? 0)} snapshot keys + ${formatCount(recovery.replayedRecords)} WAL records`,
      formatDuration(reopened.ms),
      formatRate((recovery.snapshot?.entries ?? 0) + recovery.replayedRecords, reopened.ms, 'entries'),
    ],
    ['verify', `${formatCount(acknowledged)}/${formatCount(acknowledged)} acknowledged ops present`, formatDuration(verifyMs), formatRate(verification.keysCompared, verifyMs, 'keys')],
    ['compact', `${formatCount(compacted.snapshot.entries)} keys, ${plural(compacted.segmentsDeleted.length, 'segment')} deleted`, formatDuration(compactMs), '-'],
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

async function runWritePhase(cliPath: string, args: WriterArguments, killAt: number, out: (line: string) => void): Promise<WritePhase> {
  const child = fork(
    cliPath,
    ['demo-writer', '--dir', args.dir, '--records', String(args.records), '--seed', String(args.seed), '--started-at', String(args.startedAt), '--compact-at', String(args.compactAt)],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  const phase: WritePhase = { killedAt: undefined, compactionStarted: false, compaction: undefined, finishedBeforeKill: false };
  out(`1. write   writer process ${String(child.pid)} started; it reports every acknowledged write to this process`);
  let failure: string | undefined;
  let killed = false;
  const kill = (): void => {
    if (killed) return;
    killed = true;
    child.kill('SIGKILL');
  };
  const limit = setTimeout(kill, WRITE_PHASE_LIMIT_MS);
  child.on('message', (message: unknown) => {
    if (!isWriterMessage(message)) return;
    switch (message.type) {
      case 'acked':
        // Acknowledgements still in the pipe after the kill are real: the child only reports
        // writes the store acknowledged, so they count.
        if (message.acked >= (phase.killedAt?.acked ?? 0)) phase.killedAt = message;
        if (message.acked >= killAt) kill();
        break;
      case 'compacting':
        phase.compactionStarted = true;
        out(`            online compaction started after ${formatCount(message.atOperation)} acknowledged ops; writes go on meanwhile`);
        break;
      case 'compacted':
        phase.compaction = message;
        out(
          `            compaction done in ${formatDuration(message.durationMs)}: snapshot of ${formatCount(message.entries)} keys ` +
            `(${formatBytes(message.snapshotBytes)}), ${plural(message.segmentsDeleted, 'WAL segment')} deleted`,
        );
        break;
      case 'finished':
        phase.finishedBeforeKill = !killed;
        kill();
        break;
      case 'failed':
        failure = message.message;
        kill();
        break;
    }
  });
  const exit = await waitForExit(child);
  clearTimeout(limit);
  if (failure !== undefined) throw new KvError('ERR_FAILED', `the demo writer failed: ${failure}`);
  if (!killed) throw new KvError('ERR_FAILED', `the demo writer exited on its own (${exit}) before it was killed`);
  if (phase.killedAt === undefined || phase.killedAt.acked === 0) {
    throw new KvError('ERR_FAILED', 'the demo writer acknowledged no write before it was killed; nothing to verify');
  }
  const last = phase.killedAt;
  if (phase.compactionStarted && phase.compaction === undefined) out('            (the kill came before that compaction reported back)');
  out(
    `            SIGKILL after ${formatCount(last?.acked ?? 0)} acknowledged operations (${formatCount(last?.issued ?? 0)} issued): ` +
      `${formatRate(last?.acked ?? 0, last?.elapsedMs ?? 0)}, ${formatRate(last?.records ?? 0, last?.elapsedMs ?? 0, 'records')}`,
  );
  return phase;
}

function waitForExit(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(signal ?? `code ${String(code)}`));
  });
}

async function timed<T>(run: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await run();
  return { value, ms: performance.now() - started };
}

function readAll(store: KvStore): Map<string, string> {
  const state = new Map<string, string>();
  for (const entry of store.scan()) state.set(bytesToString(entry.key), bytesToString(entry.value));
  return state;
}

function sameState(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
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
  const snapshot = report.snapshot === undefined ? 'no snapshot' : `snapshot at ${formatPosition(report.snapshot.position)} (${formatCount(report.snapshot.entries)} keys)`;
  return `reopened in ${formatDuration(ms)}: ${snapshot} + ${formatCount(report.replayedRecords)} WAL records replayed; ${tail}${batches}`;
}
