import { MemoryStorage } from '@nori/storage';
import { Wal, WalError, type FsyncPolicy, type RecoveryReport } from '../../src/index.js';
import { checkReport, describePolicy } from './campaign.js';
import { LogModel, checkRecovery } from './model.js';
import { ProcessStorage, type StorageLie, type StorageOp } from './process-storage.js';
import { Rng } from '@nori/test-support';
import { SMALL_RECORDS, recordFor } from './records.js';
import { Workload, describeError, readAll, realSleep, yieldToEventLoop } from './workload.js';

/** Which fault a {@link FaultCase} injects. */
export type FaultKind = 'eio-write' | 'eio-sync' | 'fsyncgate' | 'enospc' | 'eio-read';

/** One systematic fault case: fault `kind` at operation (or byte) index `at` of a fixed workload. */
export interface FaultCase {
  /** Seed of the workload (the same seed gives the same operations up to the fault). */
  seed: number;
  policy: FsyncPolicy;
  preallocate: boolean;
  kind: FaultKind;
  /**
   * eio-write: the `at`-th write fails; eio-read: the `at`-th read fails (recovery scans and
   * readers); eio-sync: the `at`-th file or directory fsync fails;
   * fsyncgate: the `at`-th file fsync fails and drops the dirty pages; enospc: the disk is full
   * after `at` more bytes. Counted from the second `Wal.open` (recovery included). -1: no fault.
   */
  at: number;
  /** How the failed process ends before the reopen: power loss, or `close()`. */
  ending: 'crash' | 'close';
  /** Harness mutation tests only: the faulty process's storage lies about fsyncs. */
  lie?: StorageLie;
}

/** What a fault case saw. */
export interface FaultResult {
  /** Operation counts of the faulty phase (from a run with `at: -1`, they size the sweep). */
  counts: { write: number; read: number; sync: number; fileSync: number };
  /** The fault was triggered (eio/fsyncgate armed at its operation; enospc: an ENOSPC surfaced). */
  fired: boolean;
  /** Where the first error surfaced. */
  surfaced: 'none' | 'open' | 'workload';
  /** The WAL entered the failed state. */
  failed: boolean;
  violations: string[];
}

/** Crash outcomes checked on forks of the disk, besides the crash of the disk itself. */
const EXTRA_OUTCOMES = 3;
/** Workload steps of the faulty phase. */
const STEPS = 60;
const SEGMENT = 1024;

function codeChain(error: unknown): string[] {
  const codes: string[] = [];
  for (let e = error, depth = 0; typeof e === 'object' && e !== null && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    const cause = (e as { cause?: unknown }).cause;
    if (cause === e) break;
    e = cause;
  }
  return codes;
}

function injectedCode(kind: FaultKind): string {
  return kind === 'enospc' ? 'ENOSPC' : 'EIO';
}

/** Short text of a fault case, for reports. */
export function describeFaultCase(c: FaultCase): string {
  return `${c.kind}@${c.at} fsync=${describePolicy(c.policy)} preallocate=${String(c.preallocate)} ending=${c.ending} seed=${c.seed}`;
}

/**
 * Runs one fault case on a `MemoryStorage`:
 * 1. a first process appends (`always`) and loses power, so the faulty phase starts with recovery;
 * 2. the faulty process opens the WAL and runs a fixed random workload (appends, batches, syncs,
 *    GC, rotations with 1 KiB segments) with the fault armed at operation `at`;
 * 3. checks: every error is a `WalError` with the storage's `EIO`/`ENOSPC` as cause (`ERR_FAILED`
 *    from appends and syncs; `ERR_IO` from recovery, readers and GC); after a failed append the WAL is
 *    `failed`, rejects later appends and syncs with `ERR_FAILED`, reports `onFailed` once, and
 *    still reads a consistent log;
 * 4. the process ends (`close()` or not), the disk loses power (and so do 3 forks of it, with
 *    other crash outcomes), the WAL is reopened without faults, and each log must hold every
 *    acknowledged record (durable acks, `sync()`, `durablePosition`) in order with no hole, no
 *    foreign record and no partial batch; the reopened WAL must accept appends again.
 */
export async function runFaultCase(c: FaultCase): Promise<FaultResult> {
  const rng = new Rng(c.seed);
  const memory = new MemoryStorage({ seed: rng.seed(), sectorSize: 64, crashMode: 'subset' });
  const model = new LogModel();
  const profile = SMALL_RECORDS;
  let nextId = 1;
  const violations: string[] = [];
  const result: FaultResult = {
    counts: { write: 0, read: 0, sync: 0, fileSync: 0 },
    fired: false,
    surfaced: 'none',
    failed: false,
    violations,
  };
  const expectInjected = (what: string, error: unknown): void => {
    const codes = codeChain(error);
    const injected = injectedCode(c.kind);
    if (!codes.includes(injected)) violations.push(`${what}: error without the injected ${injected}: ${describeError(error)}`);
  };

  // ---- 1. a first process leaves a log to recover (torn writes, maybe a partial batch) ----
  {
    const { wal } = await Wal.open({ storage: new ProcessStorage(memory), fsync: 'os', maxSegmentSize: SEGMENT, preallocate: c.preallocate });
    const durable = Array.from({ length: 8 }, () => nextId++);
    for (const id of durable) model.submit([id]);
    await Promise.all(durable.map((id) => wal.append(recordFor(id, profile))));
    await wal.sync();
    model.durable(durable);
    const batch = Array.from({ length: 4 }, () => nextId++);
    const singles = Array.from({ length: 3 }, () => nextId++);
    model.submit(batch);
    for (const id of singles) model.submit([id]);
    await Promise.all([wal.appendBatch(batch.map((id) => recordFor(id, profile))), ...singles.map((id) => wal.append(recordFor(id, profile)))]);
    memory.crash();
  }

  // ---- 2. the faulty process ----
  let writes = 0;
  let reads = 0;
  let syncs = 0;
  let fileSyncs = 0;
  const hook = (op: StorageOp): void => {
    if (op === 'read') {
      if (c.kind === 'eio-read' && reads === c.at) {
        memory.injectFault({ kind: 'eio', op: 'read', times: 1 });
        result.fired = true;
      }
      reads++;
    } else if (op === 'write') {
      if (c.kind === 'eio-write' && writes === c.at) {
        memory.injectFault({ kind: 'eio', op: 'write', times: 1 });
        result.fired = true;
      }
      writes++;
    } else if (op === 'sync' || op === 'syncDir') {
      if (c.kind === 'eio-sync' && syncs === c.at) {
        memory.injectFault({ kind: 'eio', op: 'sync', times: 1 });
        result.fired = true;
      }
      if (op === 'sync') {
        if (c.kind === 'fsyncgate' && fileSyncs === c.at) {
          memory.injectFault({ kind: 'fsyncgate' });
          result.fired = true;
        }
        fileSyncs++;
      }
      syncs++;
    }
  };
  const proc = new ProcessStorage(memory, c.lie === undefined ? { hook } : { hook, lie: c.lie });
  if (c.kind === 'enospc' && c.at >= 0) memory.injectFault({ kind: 'enospc', afterBytes: c.at });
  let failures = 0;
  let opened: { wal: Wal; recovery: RecoveryReport } | undefined;
  try {
    opened = await Wal.open({
      storage: proc,
      fsync: c.policy,
      maxSegmentSize: SEGMENT,
      preallocate: c.preallocate,
      observer: { onFailed: () => void failures++ },
    });
  } catch (error) {
    result.surfaced = 'open';
    if (!(error instanceof WalError) || error.code !== 'ERR_IO') violations.push(`Wal.open: expected a WalError ERR_IO, got ${describeError(error)}`);
    expectInjected('Wal.open', error);
  }

  if (opened !== undefined) {
    const { wal } = opened;
    // The model learns what survived the first crash from the first read; an injected read
    // error may stop it once (the fault is one-shot), then the read is retried.
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const first = await readAll(wal, profile);
        const match = checkRecovery(model, first);
        violations.push(...match.violations.map((v) => `before the fault: ${v}`));
        if (match.violations.length === 0) model.adopt(match, first);
        break;
      } catch (error) {
        result.surfaced = 'workload';
        if (!(error instanceof WalError) || error.code !== 'ERR_IO') violations.push(`first read: expected a WalError ERR_IO, got ${describeError(error)}`);
        expectInjected('first read', error);
        if (attempt === 1) violations.push('the first read failed twice (one injected error)');
      }
    }
    const workload = new Workload({ wal, model, rng, profile, policy: c.policy, nextId: () => nextId++, sleep: realSleep, live: () => true });
    for (let step = 0; step < STEPS; step++) await workload.step();
    await workload.settle();
    workload.observePositions();
    violations.push(...workload.readerViolations, ...model.positionViolations());

    const appendErrors = workload.errors.filter((e) => !e.what.startsWith('deleteSegmentsBefore') && e.what !== 'live read');
    for (const e of workload.errors) {
      // Writer failures are ERR_FAILED (checked below); GC and readers report ERR_IO. Either
      // way a WalError with the storage error as cause.
      if (!(e.error instanceof WalError)) violations.push(`${e.what}: not a WalError: ${describeError(e.error)}`);
      else if (!appendErrors.includes(e) && e.error.code !== 'ERR_IO') violations.push(`${e.what}: expected ERR_IO, got ${describeError(e.error)}`);
      expectInjected(e.what, e.error);
    }
    for (const e of appendErrors) {
      if ((e.error as { code?: unknown }).code !== 'ERR_FAILED') violations.push(`${e.what}: expected ERR_FAILED, got ${describeError(e.error)}`);
    }
    if (workload.errors.length > 0) result.surfaced = 'workload';
    result.failed = wal.state === 'failed';
    if (appendErrors.length > 0 && !result.failed) violations.push(`appends failed (${appendErrors[0]?.what}) but wal.state is ${wal.state}`);
    if (result.failed) {
      if (failures !== 1) violations.push(`onFailed called ${failures} times`);
      const id = nextId++;
      model.submit([id]);
      const late = await wal.append(recordFor(id, profile)).then(
        () => 'resolved',
        (error: unknown) => ((error as { code?: unknown }).code === 'ERR_FAILED' ? 'ok' : describeError(error)),
      );
      if (late !== 'ok') violations.push(`append after the failure: ${late}`);
      const lateSync = await wal.sync().then(
        () => 'resolved',
        (error: unknown) => ((error as { code?: unknown }).code === 'ERR_FAILED' ? 'ok' : describeError(error)),
      );
      if (lateSync !== 'ok') violations.push(`sync after the failure: ${lateSync}`);
      try {
        const view = await readAll(wal, profile);
        const check = checkRecovery({ records: model.records, lastDurable: model.lastDurable, gcFloor: model.gcFloor }, view);
        violations.push(...check.violations.map((v) => `read in the failed state: ${v}`));
      } catch (error) {
        violations.push(`read in the failed state threw ${describeError(error)}`);
      }
    } else if (failures !== 0) {
      violations.push(`onFailed called but state is ${wal.state}`);
    }
    if (c.ending === 'close') {
      memory.clearFaults();
      await wal.close().catch((error: unknown) => violations.push(`close() threw ${describeError(error)}`));
    }
  }
  result.counts = { write: writes, read: reads, sync: syncs, fileSync: fileSyncs };
  if (c.kind === 'enospc') result.fired = c.at >= 0 && result.surfaced !== 'none';

  // ---- 3. power loss (or the closed process), reopen without faults, verify ----
  memory.clearFaults();
  // Extra crash outcomes of the same disk: a durability claim the fsyncs do not back is caught
  // even when one crash happens to keep the unsynced bytes.
  for (let outcome = 1; outcome <= EXTRA_OUTCOMES; outcome++) {
    const disk = memory.fork({ seed: c.seed * 100 + outcome });
    disk.crash({ mode: outcome % 2 === 0 ? 'prefix' : 'subset' });
    try {
      const { wal } = await Wal.open({ storage: disk, fsync: 'always', maxSegmentSize: SEGMENT, preallocate: c.preallocate });
      try {
        const check = checkRecovery(model, await readAll(wal, profile));
        violations.push(...check.violations.map((v) => `crash outcome ${outcome}: ${v}`));
      } finally {
        await wal.close();
      }
    } catch (error) {
      violations.push(`crash outcome ${outcome}: reopen failed: ${describeError(error)}`);
    }
  }
  memory.crash();
  const reopened = await Wal.open({ storage: new ProcessStorage(memory), fsync: 'always', maxSegmentSize: SEGMENT, preallocate: c.preallocate }).catch(
    (error: unknown) => {
      violations.push(`reopen after the fault failed: ${describeError(error)}`);
      return undefined;
    },
  );
  if (reopened === undefined) return result;
  const { wal } = reopened;
  try {
    const entries = await readAll(wal, profile);
    const match = checkRecovery(model, entries);
    violations.push(...match.violations, ...checkReport(reopened.recovery, entries, wal));
    if (match.violations.length === 0) {
      model.adopt(match, entries);
      const id = nextId++;
      model.submit([id]);
      await wal.append(recordFor(id, profile));
      const again = await readAll(wal, profile);
      if (again.length !== entries.length + 1) violations.push(`append after reopen: ${again.length} records, expected ${entries.length + 1}`);
    }
  } finally {
    await wal.close();
  }
  return result;
}

/** Result of {@link runFaultSweep}. */
export interface FaultSweep {
  /** Fault cases run. */
  cases: number;
  /** Cases in which the WAL entered the failed state. */
  failed: number;
  /** Cases in which the fault surfaced from `Wal.open` (recovery). */
  inOpen: number;
  /** Readable reports of the cases with violations. */
  failures: string[];
}

/**
 * Injects `kind` at every operation index of the workload (eio-write: every write; eio-sync:
 * every file or directory fsync; fsyncgate: every file fsync), or for ENOSPC at every
 * `enospcStep`-th byte until the workload fits, alternating power loss and close() endings.
 */
/**
 * Every `SWEEP_STRIDE`-th fault point (env `NORI_CRASH_STRIDE`, default 1: every point). The Node
 * 22/24 reruns in CI sample the sweep; the README test command runs it whole.
 */
export const SWEEP_STRIDE = Math.max(1, Math.floor(Number(process.env['NORI_CRASH_STRIDE'] ?? 1)) || 1);

export async function runFaultSweep(base: Omit<FaultCase, 'at' | 'ending' | 'lie'>, enospcStep = 23): Promise<FaultSweep> {
  const sweep: FaultSweep = { cases: 0, failed: 0, inOpen: 0, failures: [] };
  const run = async (at: number, ending: FaultCase['ending']): Promise<FaultResult> => {
    const c: FaultCase = { ...base, at, ending };
    await yieldToEventLoop();
    const r = await runFaultCase(c);
    sweep.cases++;
    if (r.failed) sweep.failed++;
    if (r.surfaced === 'open') sweep.inOpen++;
    if (r.violations.length > 0) sweep.failures.push(`${describeFaultCase(c)}:\n    ${r.violations.join('\n    ')}`);
    return r;
  };
  const clean = await runFaultCase({ ...base, at: -1, ending: 'crash' });
  if (clean.violations.length > 0 || clean.surfaced !== 'none') {
    sweep.failures.push(`${describeFaultCase({ ...base, at: -1, ending: 'crash' })} (no fault):\n    ${clean.violations.join('\n    ')}`);
    return sweep;
  }
  if (base.kind === 'enospc') {
    for (let at = 0, fits = 0, n = 0; fits < 2; at += enospcStep * SWEEP_STRIDE, n++) {
      const r = await run(at, n % 2 === 0 ? 'crash' : 'close');
      fits = r.surfaced === 'none' ? fits + 1 : 0;
    }
    return sweep;
  }
  const total = { 'eio-write': clean.counts.write, 'eio-read': clean.counts.read, 'eio-sync': clean.counts.sync, fsyncgate: clean.counts.fileSync }[base.kind];
  for (let at = 0, n = 0; at < total; at += SWEEP_STRIDE, n++) await run(at, n % 2 === 0 ? 'crash' : 'close');
  return sweep;
}
