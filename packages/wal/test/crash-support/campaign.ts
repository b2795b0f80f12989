import { MemoryStorage } from '@nori/storage';
import { Wal, type FsyncPolicy, type Position, type RecoveryMode, type RecoveryReport, type WalConfig } from '../../src/index.js';
import { LogModel, checkRecovery, comparePos, fmtPos, type RecoveredEntry } from './model.js';
import { ProcessStorage } from './process-storage.js';
import { Rng } from './prng.js';
import { identify, recordFor, type RecordProfile } from './records.js';

/** Knobs of one randomized crash case (every other choice comes from the seed). */
export interface CaseOptions {
  /** Crashes per case (the log is verified after each). Default: 1 to 3, from the seed. */
  crashes?: number;
  /** Upper bound of workload steps between two crashes. Default 120. */
  maxSteps?: number;
  /** Record shapes. Default: values up to 120 bytes, one in 40 records bigger than a segment. */
  profile?: RecordProfile;
}

/** What one case did, and what went wrong (empty `violations`: the WAL kept its promises). */
export interface CaseResult {
  seed: number;
  /** Simulated power losses (during workloads and during recovery). */
  crashes: number;
  /** Clean close + reopen cycles. */
  closes: number;
  appended: number;
  /** Where the case was when the first violation was seen (epoch, step), for replay reports. */
  at: string;
  config: string;
  violations: string[];
}

/** The record shapes the CI campaign uses. */
export const CAMPAIGN_PROFILE: RecordProfile = { maxValue: 120, bigEvery: 40, bigValue: 1300 };

const SEGMENT_SIZES = [1024, 1024, 1536, 2048, 4096];
const SECTOR_SIZES = [64, 128, 512];

interface Epoch {
  /** Cleared once this process's acknowledgements are no longer fed to the model. */
  live: boolean;
  errors: string[];
}

function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const cause = (error as { cause?: unknown }).cause;
    const causeCode = typeof cause === 'object' && cause !== null ? (cause as { code?: unknown }).code : undefined;
    return `${String(code ?? error.name)}${causeCode === undefined ? '' : `<-${String(causeCode)}`}: ${error.message}`;
  }
  return String(error);
}

/** True for the errors a WAL may show after its storage crashed under it. */
function crashError(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (code === 'ERR_CRASHED') return true;
  if (code !== 'ERR_FAILED') return false;
  const cause = (error as { cause?: unknown }).cause as { code?: unknown } | undefined;
  return cause?.code === 'ERR_CRASHED';
}

function pickPolicy(rng: Rng): FsyncPolicy {
  const roll = rng.int(4);
  if (roll === 0) return { kind: 'always' };
  if (roll === 1) return { kind: 'os' };
  return rng.chance(0.5) ? { kind: 'batch', windowMs: rng.range(1, 3) } : { kind: 'batch', windowMs: 50, maxBytes: rng.range(200, 1500) };
}

function describePolicy(p: FsyncPolicy): string {
  if (p.kind !== 'batch') return p.kind;
  return `batch(${p.windowMs}ms${p.maxBytes === undefined ? '' : `,${p.maxBytes}B`})`;
}

/** Reads the whole log and maps every entry to a record id (or a reason it is not one). */
export async function readAll(wal: Wal, profile: RecordProfile): Promise<RecoveredEntry[]> {
  const out: RecoveredEntry[] = [];
  for await (const entry of wal.read()) {
    const found = identify(entry, profile);
    out.push({ id: 'id' in found ? found.id : found, position: entry.position });
  }
  return out;
}

function checkReport(report: RecoveryReport, entries: readonly RecoveredEntry[], wal: Wal): string[] {
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
 * during recovery itself), and a final verification. Never throws for WAL misbehaviour: returns it.
 */
export async function runCrashCase(seed: number, options: CaseOptions = {}): Promise<CaseResult> {
  const rng = new Rng(seed);
  const profile = options.profile ?? CAMPAIGN_PROFILE;
  const crashesWanted = options.crashes ?? rng.range(1, 3);
  const maxSteps = options.maxSteps ?? 120;
  const crashMode = rng.chance(0.25) ? 'subset' : 'prefix';
  const memory = new MemoryStorage({ seed: rng.seed(), sectorSize: rng.pick(SECTOR_SIZES), crashMode });
  const policy = pickPolicy(rng);
  const recovery: RecoveryMode = rng.chance(0.2) ? 'point-in-time' : 'tolerate-tail';
  const base: Omit<WalConfig, 'storage'> = {
    maxSegmentSize: rng.pick(SEGMENT_SIZES),
    fsync: policy,
    preallocate: rng.chance(0.5),
    recovery,
  };
  const result: CaseResult = {
    seed,
    crashes: 0,
    closes: 0,
    appended: 0,
    at: 'start',
    config: `segment=${base.maxSegmentSize} fsync=${describePolicy(policy)} preallocate=${String(base.preallocate)} recovery=${recovery} crashMode=${crashMode}`,
    violations: [],
  };
  const model = new LogModel();
  let nextId = 1;
  let workloadCrashes = 0;
  const fail = (at: string, violations: string[]): CaseResult => {
    result.at = at;
    result.violations = violations;
    result.crashes = memory.crashes;
    result.appended = nextId - 1;
    return result;
  };

  for (let round = 0; ; round++) {
    // ---- open (a crash may hit recovery itself) and verify ----
    let opened: { wal: Wal; recovery: RecoveryReport } | undefined;
    let storage: ProcessStorage | undefined;
    for (let attempt = 0; opened === undefined; attempt++) {
      storage = new ProcessStorage(memory);
      const crashInOpen = round > 0 && attempt < 3 && rng.chance(0.25);
      if (crashInOpen) memory.injectFault({ kind: 'crash', afterOps: rng.int(6) });
      try {
        opened = await Wal.open({ ...base, storage });
      } catch (error) {
        if (crashInOpen && crashError(error) && storage.dead) continue;
        return fail(`round ${round} open`, [`Wal.open failed: ${describeError(error)}`]);
      } finally {
        memory.clearFaults();
      }
    }
    const { wal } = opened;
    const proc = storage as ProcessStorage;
    let entries: RecoveredEntry[];
    try {
      entries = await readAll(wal, profile);
    } catch (error) {
      return fail(`round ${round} verify`, [`read after recovery failed: ${describeError(error)}`]);
    }
    const match = checkRecovery(model, entries);
    const problems = [...match.violations, ...checkReport(opened.recovery, entries, wal)];
    if (problems.length > 0) return fail(`round ${round} verify`, problems);
    model.adopt(match, entries);
    if (workloadCrashes >= crashesWanted) {
      await wal.close();
      result.crashes = memory.crashes;
      result.appended = nextId - 1;
      return result;
    }

    // ---- workload until a crash ----
    const epoch: Epoch = { live: true, errors: [] };
    const byTicks = rng.chance(0.35);
    const crashStep = rng.int(maxSteps);
    if (!byTicks) memory.injectFault({ kind: 'crash', afterOps: rng.int(maxSteps) });
    const closeCleanly = !byTicks && rng.chance(0.08);
    const alwaysDurable = policy.kind === 'always';
    const inflight = new Set<Promise<unknown>>();
    const resolved: number[] = [];
    const track = (p: Promise<unknown>): void => {
      const done = p.finally(() => inflight.delete(done));
      inflight.add(done);
    };
    const onError = (what: string) => (error: unknown) => {
      if (!epoch.live || proc.dead) return;
      epoch.errors.push(`${what}: ${describeError(error)}`);
    };

    let step = 0;
    for (; step < maxSteps && !proc.dead && epoch.errors.length === 0; step++) {
      if (byTicks && step === crashStep) {
        memory.crash();
        break;
      }
      const roll = rng.next();
      if (roll < 0.42) {
        const id = nextId++;
        const durable = !alwaysDurable && rng.chance(0.15);
        model.submit([id]);
        const p = wal.append(recordFor(id, profile), durable ? { durable: true } : undefined).then((position) => {
          if (!epoch.live) return;
          model.positions([id], [position]);
          if (durable || alwaysDurable) model.durable([id]);
          resolved.push(id);
        }, onError(`append ${id}`));
        track(p);
      } else if (roll < 0.56) {
        const ids = Array.from({ length: rng.range(2, 5) }, () => nextId++);
        const durable = !alwaysDurable && rng.chance(0.15);
        model.submit(ids);
        const p = wal
          .appendBatch(
            ids.map((id) => recordFor(id, profile)),
            durable ? { durable: true } : undefined,
          )
          .then((positions) => {
            if (!epoch.live) return;
            if (positions.length !== ids.length) epoch.errors.push(`appendBatch returned ${positions.length} positions for ${ids.length} records`);
            model.positions(ids, positions);
            if (durable || alwaysDurable) model.durable(ids);
            resolved.push(ids[0] as number);
          }, onError(`appendBatch ${ids[0]}..${ids[ids.length - 1]}`));
        track(p);
      } else if (roll < 0.63) {
        const count = model.length;
        const p = wal.sync().then((durable: Position) => {
          if (!epoch.live) return;
          model.durableCount(count);
          model.durablePosition(durable);
        }, onError('sync'));
        track(p);
      } else if (roll < 0.68 && resolved.length > 0) {
        const id = rng.pick(resolved);
        const index = model.indexOf(id);
        const position = index === undefined ? undefined : model.records[index]?.position;
        if (position !== undefined) {
          model.gc(id);
          track(wal.deleteSegmentsBefore(position).catch(onError(`deleteSegmentsBefore(${fmtPos(position)})`)));
        }
      } else if (roll < 0.71) {
        // A reader in the middle of the workload sees a consistent run of what was written.
        try {
          const seen = await readAll(wal, profile);
          if (!proc.dead && epoch.live) {
            const view = checkRecovery({ records: model.records, lastDurable: -1, gcFloor: model.gcFloor }, seen);
            for (const v of view.violations) epoch.errors.push(`live reader: ${v}`);
          }
        } catch (error) {
          onError('live read')(error);
        }
      } else if (roll < 0.86) {
        const list = [...inflight];
        if (list.length > 0) await (list.length > 8 ? Promise.allSettled(list) : rng.pick(list));
      } else if (roll < 0.88 && policy.kind === 'batch') {
        await new Promise((resolve) => setTimeout(resolve, rng.int(3)));
      } else {
        for (let n = rng.int(6); n > 0; n--) await Promise.resolve();
      }
      if (epoch.live && !proc.dead) model.durablePosition(wal.durablePosition);
    }

    if (epoch.errors.length === 0 && !proc.dead) {
      // The workload ran out of steps before the crash: let it settle, then close or crash.
      await Promise.allSettled([...inflight]);
      if (!proc.dead) {
        for (const v of model.positionViolations()) epoch.errors.push(v);
        if (closeCleanly) {
          // The crash fault may still fire inside close(): then it is one more crash point.
          const count = model.length;
          try {
            await wal.close();
            model.durableCount(count);
            result.closes++;
          } catch (error) {
            if (!proc.dead) epoch.errors.push(`close failed: ${describeError(error)}`);
          }
        } else {
          memory.crash();
        }
      }
    }
    // Let the dead process's last callbacks run, then stop listening to it.
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    memory.clearFaults();
    if (epoch.errors.length === 0) epoch.errors.push(...model.positionViolations());
    epoch.live = false;
    if (epoch.errors.length > 0) return fail(`round ${round} step ${step}`, epoch.errors);
    if (proc.dead) workloadCrashes++;
  }
}
