import { MemoryStorage } from '@nori/storage';
import { Wal, type FsyncPolicy, type RecoveryMode, type RecoveryReport, type WalConfig } from '../../src/index.js';
import { LogModel, checkRecovery, comparePos, fmtPos, type RecoveredEntry } from './model.js';
import { ProcessStorage, type StorageLie } from './process-storage.js';
import { Rng } from '@nori/test-support';
import { recordFor, type RecordProfile } from './records.js';
import { Workload, describeError, readAll, realSleep, yieldToEventLoop, type Sleep } from './workload.js';

/** Knobs of one randomized crash case (every other choice comes from the seed). */
export interface CaseOptions {
  /** Power losses during workloads per case (the log is verified after each). Default: 1 to 3. */
  crashes?: number;
  /** Upper bound of workload steps between two crashes. Default 120. */
  maxSteps?: number;
  /** Record shapes. Default {@link CAMPAIGN_PROFILE}. */
  profile?: RecordProfile;
  /** How the workload sleeps (batch windows); pass a fake clock for exact replays. */
  sleep?: Sleep;
  /** Harness mutation tests only: the storage lies about fsyncs (the checkers must notice). */
  lie?: StorageLie;
  /** Receives a line per WAL call, outcome, crash and recovery (replay debugging). */
  trace?: (line: string) => void;
}

/** What one case did, and what went wrong (empty `violations`: the WAL kept its promises). */
export interface CaseResult {
  seed: number;
  /** Simulated power losses (during workloads, close and recovery). */
  crashes: number;
  /** Clean close + reopen cycles. */
  closes: number;
  /** Records appended (acknowledged or not). */
  appended: number;
  /** Appends withdrawn after their AbortSignal fired in time. */
  aborted: number;
  /** Where the case was when the first violation was seen (round, step), for replay reports. */
  at: string;
  /** The configuration the seed chose. */
  config: string;
  violations: string[];
}

/** Record shapes of the CI campaign: small values, one record in 40 larger than a 1 KiB segment. */
export const CAMPAIGN_PROFILE: RecordProfile = { maxValue: 120, bigEvery: 40, bigValue: 1300 };

const SEGMENT_SIZES = [1024, 1024, 1536, 2048, 4096];
const SECTOR_SIZES = [64, 128, 512];

/** True for the errors a WAL may show after its storage crashed under it. */
export function isCrashError(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (code === 'ERR_CRASHED') return true;
  const cause = (error as { cause?: unknown } | undefined)?.cause;
  return cause !== undefined && cause !== error && isCrashError(cause);
}

function pickPolicy(rng: Rng): FsyncPolicy {
  const roll = rng.int(4);
  if (roll === 0) return { kind: 'always' };
  if (roll === 1) return { kind: 'os' };
  return rng.chance(0.5) ? { kind: 'batch', windowMs: rng.range(1, 3) } : { kind: 'batch', windowMs: 50, maxBytes: rng.range(200, 1500) };
}

/** Short text of a policy, for reports. */
export function describePolicy(p: FsyncPolicy): string {
  if (p.kind !== 'batch') return p.kind;
  return `batch(${p.windowMs}ms${p.maxBytes === undefined ? '' : `,${p.maxBytes}B`})`;
}

/** Consistency of the recovery report with what `read()` returns and where the writer starts. */
export function checkReport(report: RecoveryReport, entries: readonly RecoveredEntry[], wal: Wal): string[] {
  const out: string[] = [];
  if (report.records !== entries.length) out.push(`recovery report says ${report.records} records, read() returned ${entries.length}`);
  const last = entries[entries.length - 1];
  if (last !== undefined && comparePos(report.lastPosition, last.position) <= 0) {
    out.push(`recovery lastPosition ${fmtPos(report.lastPosition)} is not after the last record at ${fmtPos(last.position)}`);
  }
  if (comparePos(wal.writtenPosition, report.lastPosition) !== 0) {
    out.push(`writtenPosition ${fmtPos(wal.writtenPosition)} after open differs from lastPosition ${fmtPos(report.lastPosition)}`);
  }
  return out;
}

/**
 * Runs one seeded crash case on a `MemoryStorage`: a random configuration (segment size, fsync
 * policy, preallocation, recovery mode, sector size, crash mode), then rounds of
 * open -> verify -> random concurrent workload -> power loss at a random point (a `crash` fault
 * after a random number of storage operations, or `crash()` at a random workload step; sometimes
 * inside recovery or close), and a final verification. WAL misbehaviour is returned, not thrown.
 */
export async function runCrashCase(seed: number, options: CaseOptions = {}): Promise<CaseResult> {
  const rng = new Rng(seed);
  const profile = options.profile ?? CAMPAIGN_PROFILE;
  const sleep = options.sleep ?? realSleep;
  const crashesWanted = options.crashes ?? rng.range(1, 3);
  const maxSteps = options.maxSteps ?? 120;
  const crashMode = rng.chance(0.25) ? 'subset' : 'prefix';
  const memory = new MemoryStorage({ seed: rng.seed(), sectorSize: rng.pick(SECTOR_SIZES), crashMode });
  let policy = pickPolicy(rng);
  const recovery: RecoveryMode = rng.chance(0.2) ? 'point-in-time' : 'tolerate-tail';
  let base: Omit<WalConfig, 'storage'> = {
    maxSegmentSize: rng.pick(SEGMENT_SIZES),
    fsync: policy,
    preallocate: rng.chance(0.5),
    recovery,
    // Sometimes a tiny queue bound: appends wait for room (backpressure) when the crash hits.
    ...(rng.chance(0.2) ? { maxQueuedBytes: rng.range(300, 3000) } : {}),
  };
  const model = new LogModel();
  let nextId = 1;
  let workloadCrashes = 0;
  const result: CaseResult = {
    seed,
    crashes: 0,
    closes: 0,
    appended: 0,
    aborted: 0,
    at: 'start',
    config:
      `segment=${String(base.maxSegmentSize)} fsync=${describePolicy(policy)} preallocate=${String(base.preallocate)} ` +
      `recovery=${recovery} crashMode=${crashMode} maxQueuedBytes=${String(base.maxQueuedBytes ?? 'default')}`,
    violations: [],
  };
  const finish = (at: string, violations: string[]): CaseResult => {
    result.at = at;
    result.violations = violations;
    result.crashes = memory.crashes;
    result.appended = nextId - 1;
    return result;
  };

  for (let round = 0; ; round++) {
    if (round > 0 && rng.chance(0.15)) {
      // A restart with another configuration: the log written under the old one must reopen.
      policy = pickPolicy(rng);
      base = { ...base, fsync: policy, maxSegmentSize: rng.pick(SEGMENT_SIZES), preallocate: rng.chance(0.5) };
      options.trace?.(`round ${round}: reconfigured ${JSON.stringify(base)}`);
    }
    // ---- open (a crash may hit recovery itself), then verify ----
    let opened: { wal: Wal; recovery: RecoveryReport } | undefined;
    const processOptions = options.lie === undefined ? {} : { lie: options.lie };
    let proc = new ProcessStorage(memory, processOptions);
    for (let attempt = 0; opened === undefined; attempt++) {
      proc = new ProcessStorage(memory, processOptions);
      const crashInOpen = round > 0 && attempt < 3 && rng.chance(0.25);
      if (crashInOpen) memory.injectFault({ kind: 'crash', afterOps: rng.int(12) });
      try {
        opened = await Wal.open({ ...base, storage: proc });
      } catch (error) {
        if (crashInOpen && isCrashError(error) && proc.dead) continue;
        return finish(`round ${round} open`, [`Wal.open failed: ${describeError(error)}`]);
      } finally {
        memory.clearFaults();
      }
    }
    const { wal } = opened;
    let entries: RecoveredEntry[];
    try {
      entries = await readAll(wal, profile);
    } catch (error) {
      return finish(`round ${round} verify`, [`read after recovery failed: ${describeError(error)}`]);
    }
    const match = checkRecovery(model, entries);
    const problems = [...match.violations, ...checkReport(opened.recovery, entries, wal)];
    if (problems.length > 0) return finish(`round ${round} verify`, problems);
    model.adopt(match, entries);
    if (workloadCrashes >= crashesWanted) {
      await wal.close();
      return finish('done', []);
    }

    // ---- workload until a crash ----
    let live = true;
    const byTicks = rng.chance(0.35);
    const crashStep = rng.int(maxSteps);
    const closeCleanly = !byTicks && rng.chance(0.12);
    if (!byTicks && !closeCleanly) memory.injectFault({ kind: 'crash', afterOps: rng.int(maxSteps) });
    const trace = options.trace;
    trace?.(
      `round ${round}: recovered ${entries.length} records (${entries.map((e) => (typeof e.id === 'number' ? e.id : '?')).join(',')}), byTicks=${String(byTicks)} crashStep=${crashStep} close=${String(closeCleanly)}`,
    );
    const workload = new Workload({ wal, model, rng, profile, policy, nextId: () => nextId++, sleep, live: () => live, dead: () => proc.dead, trace });
    const errors: string[] = [];
    let step = 0;
    for (; step < maxSteps && !proc.dead && workload.errors.length === 0; step++) {
      if (byTicks && step === crashStep) {
        trace?.(`crash() at step ${step}`);
        memory.crash();
        break;
      }
      await workload.step();
    }
    if (workload.errors.length === 0 && !proc.dead) {
      // Out of steps before the crash: close (maybe with appends still in flight; the armed
      // crash may still fire inside close) or let the calls settle and pull the plug.
      if (closeCleanly) {
        if (rng.chance(0.5)) await workload.settle();
        if (rng.chance(0.3)) memory.injectFault({ kind: 'crash', afterOps: rng.int(6) });
        const lastId = model.lastId;
        trace?.(`close() (last id ${lastId})`);
        const closing = wal.close();
        // Calls after close() must fail with ERR_CLOSED and write nothing.
        const lateId = nextId++;
        model.submit([lateId]);
        const late = await wal.append(recordFor(lateId, profile)).then(
          () => 'resolved',
          (error: unknown) => (error as { code?: unknown }).code,
        );
        trace?.(`  append ${lateId} after close(): ${String(late)}`);
        model.withdraw([lateId]);
        if (late !== 'ERR_CLOSED' && !proc.dead) errors.push(`append after close(): ${String(late)}, expected ERR_CLOSED`);
        try {
          await closing;
          await workload.settle();
          model.durableThroughId(lastId);
          result.closes++;
        } catch (error) {
          if (!proc.dead) errors.push(`close failed: ${describeError(error)}`);
        }
      } else {
        await workload.settle();
        if (!proc.dead) memory.crash();
      }
    }
    if (proc.dead) trace?.(`crashed at step ${step}`);
    // Let the dead process's last callbacks run, then stop listening to it.
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    errors.push(...model.positionViolations());
    live = false;
    memory.clearFaults();
    for (const e of workload.errors) errors.push(`${e.what} failed before the crash: ${describeError(e.error)}`);
    errors.push(...workload.readerViolations);
    result.aborted += workload.aborted;
    if (errors.length > 0) return finish(`round ${round} step ${step}`, errors);
    if (proc.dead) workloadCrashes++;
  }
}

/** Runs cases with seeds `firstSeed, firstSeed + 1, ...` until `points` crash points were run. */
export async function runCampaign(options: {
  firstSeed: number;
  points: number;
  caseOptions?: CaseOptions;
  /** Stop at the first failing case (default true). */
  stopOnFailure?: boolean;
  onCase?: (result: CaseResult) => void;
}): Promise<{ cases: number; crashes: number; closes: number; appended: number; aborted: number; failures: CaseResult[] }> {
  const summary = { cases: 0, crashes: 0, closes: 0, appended: 0, aborted: 0, failures: [] as CaseResult[] };
  for (let seed = options.firstSeed; summary.crashes < options.points; seed++) {
    await yieldToEventLoop();
    const result = await runCrashCase(seed, options.caseOptions);
    summary.cases++;
    summary.crashes += result.crashes;
    summary.closes += result.closes;
    summary.appended += result.appended;
    summary.aborted += result.aborted;
    options.onCase?.(result);
    if (result.violations.length > 0) {
      summary.failures.push(result);
      if (options.stopOnFailure !== false) break;
    }
  }
  return summary;
}

/** A failing case as a readable, replayable report. */
export function formatFailure(result: CaseResult, replay: string): string {
  return [
    `crash case seed=${result.seed} failed at ${result.at}`,
    `  config: ${result.config}`,
    ...result.violations.map((v) => `  - ${v}`),
    `  replay: ${replay.replace('{seed}', String(result.seed))}`,
  ].join('\n');
}
