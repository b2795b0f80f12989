import { MemoryStorage, type CrashMode } from '@nori/storage';
import { KvStore } from '../../src/index.js';
import { processView } from './fenced-storage.js';

/** One step of a crash-test workload. */
export type Step =
  | { kind: 'put'; key: string; value: string; ttlMs?: number }
  | { kind: 'del'; key: string }
  | { kind: 'batch'; writes: ({ kind: 'put'; key: string; value: string } | { kind: 'del'; key: string })[] }
  | { kind: 'compact' }
  /** Concurrent puts of fresh keys, issued without awaiting each other (group commit). */
  | { kind: 'burst'; keys: string[]; value: string }
  | { kind: 'tick'; ms: number };

/** A small seeded PRNG (xorshift32) for reproducible workloads. */
export function prng(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
}

/** A seeded workload over a small key space, so keys are overwritten, deleted and re-put. */
export function crashWorkload(seed: number, length: number, compactions: number[] = []): Step[] {
  const random = prng(seed);
  const key = (): string => `k${Math.floor(random() * 24)}`;
  const steps: Step[] = [];
  for (let i = 0; i < length; i++) {
    if (compactions.includes(i)) {
      steps.push({ kind: 'compact' });
      continue;
    }
    const roll = random();
    if (roll < 0.45) {
      const value = `v${i}-${'x'.repeat(Math.floor(random() * 80))}`;
      steps.push(random() < 0.25 ? { kind: 'put', key: key(), value, ttlMs: 1 + Math.floor(random() * 30) } : { kind: 'put', key: key(), value });
    } else if (roll < 0.6) steps.push({ kind: 'del', key: key() });
    else if (roll < 0.75) {
      const writes: Extract<Step, { kind: 'batch' }>['writes'] = [];
      const size = 2 + Math.floor(random() * 4);
      for (let j = 0; j < size; j++) writes.push(random() < 0.8 ? { kind: 'put', key: key(), value: `b${i}.${j}` } : { kind: 'del', key: key() });
      steps.push({ kind: 'batch', writes });
    } else if (roll < 0.8) steps.push({ kind: 'compact' });
    else if (roll < 0.9) {
      const count = 3 + Math.floor(random() * 10);
      steps.push({
        kind: 'burst',
        keys: Array.from({ length: count }, (_, j) => `burst:${String(i).padStart(3, '0')}:${String(j).padStart(2, '0')}`),
        value: `burst${i}`,
      });
    } else steps.push({ kind: 'tick', ms: Math.floor(random() * 10) });
  }
  return steps;
}

interface ModelEntry {
  value: string;
  expiresAt: number | undefined;
}

/** The expected store state: applied only for acknowledged steps. */
export class Model {
  readonly entries = new Map<string, ModelEntry>();

  apply(step: Step, now: number): void {
    if (step.kind === 'put') this.entries.set(step.key, { value: step.value, expiresAt: step.ttlMs === undefined ? undefined : now + step.ttlMs });
    else if (step.kind === 'del') this.entries.delete(step.key);
    else if (step.kind === 'batch') for (const write of step.writes) this.apply(write, now);
    else if (step.kind === 'burst') for (const key of step.keys) this.entries.set(key, { value: step.value, expiresAt: undefined });
  }

  clone(): Model {
    const copy = new Model();
    for (const [key, entry] of this.entries) copy.entries.set(key, { ...entry });
    return copy;
  }

  visible(now: number): Map<string, string> {
    const out = new Map<string, string>();
    for (const [key, entry] of this.entries) if (entry.expiresAt === undefined || entry.expiresAt > now) out.set(key, entry.value);
    return out;
  }
}

/** Clock shared by the workload and the reopened store. */
export class FakeClock {
  now = 1_700_000_000_000;
  readonly read = (): number => this.now;
}

/** Store settings of the crash tests: small segments so compaction deletes some. */
export const CRASH_STORE_OPTIONS = { fsync: 'always', maxSegmentSize: 1024 } as const;

/** Fsync policies the crash tests run under (acknowledgements always wait for the fsync). */
export type CrashPolicy = 'always' | 'batch';

function storeOptions(policy: CrashPolicy) {
  return policy === 'always' ? CRASH_STORE_OPTIONS : { ...CRASH_STORE_OPTIONS, fsync: { kind: 'batch', windowMs: 1 } as const };
}

/** Result of running a workload until it finishes or the disk crashes. */
export interface CrashRun {
  /** State of every acknowledged step. */
  acked: Model;
  /** The step that was running when the crash hit (its effect may or may not survive). */
  inFlight: Step | undefined;
  /** For a burst cut by the crash: which of its puts were acknowledged. */
  burstAcked: boolean[] | undefined;
  /** Storage mutations used (for a run without crash: the total). */
  operations: number;
  /** Storage operation counts when each compaction started and ended, and the segments it deleted. */
  compactions: { start: number; end: number; segmentsDeleted: number }[];
  crashed: boolean;
}

async function execute(store: KvStore, step: Step): Promise<number> {
  switch (step.kind) {
    case 'put':
      await store.put(step.key, step.value, step.ttlMs === undefined ? {} : { ttlMs: step.ttlMs });
      return 0;
    case 'del':
      await store.delete(step.key);
      return 0;
    case 'batch':
      await store.batch(step.writes.map((w) => (w.kind === 'put' ? { type: 'put', key: w.key, value: w.value } : { type: 'del', key: w.key })));
      return 0;
    case 'compact':
      return (await store.compact()).segmentsDeleted.length;
    case 'burst':
    case 'tick':
      return 0;
  }
}

/** Issues every put of a burst at once; records which were acknowledged; throws the first failure. */
async function executeBurst(store: KvStore, step: Extract<Step, { kind: 'burst' }>, acked: boolean[]): Promise<void> {
  const results = await Promise.allSettled(step.keys.map((key, j) => store.put(key, step.value).then(() => void (acked[j] = true))));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
}

/**
 * Runs `steps` on a fresh store over `memory`; with `crashAfterOps` the disk loses power after
 * that many more storage mutations. Then the disk crashes (if it has not yet), so unsynced data
 * is randomly torn either way.
 */
export async function runUntilCrash(
  memory: MemoryStorage,
  steps: readonly Step[],
  clock: FakeClock,
  crashAfterOps?: number,
  policy: CrashPolicy = 'always',
): Promise<CrashRun> {
  const acked = new Model();
  const compactions: CrashRun['compactions'] = [];
  if (crashAfterOps !== undefined) memory.injectFault({ kind: 'crash', afterOps: crashAfterOps });
  const crashesBefore = memory.crashes;
  let inFlight: Step | undefined;
  let burstAcked: boolean[] | undefined;
  let store: KvStore | undefined;
  try {
    store = await KvStore.open({ storage: processView(memory), ...storeOptions(policy), now: clock.read });
    for (const step of steps) {
      if (step.kind === 'tick') {
        clock.now += step.ms;
        continue;
      }
      inFlight = step;
      const start = memory.operations;
      if (step.kind === 'burst') {
        burstAcked = step.keys.map(() => false);
        await executeBurst(store, step, burstAcked);
        burstAcked = undefined;
      }
      const segmentsDeleted = await execute(store, step);
      if (step.kind === 'compact') compactions.push({ start, end: memory.operations, segmentsDeleted });
      acked.apply(step, clock.now);
      inFlight = undefined;
    }
  } catch (error) {
    if (memory.crashes === crashesBefore) throw error;
  }
  const operations = memory.operations;
  const crashed = memory.crashes !== crashesBefore;
  memory.clearFaults();
  if (!crashed) {
    await store?.close();
    memory.crash();
  }
  return { acked, inFlight, burstAcked, operations, compactions, crashed };
}

/** Reads every live key of a store. */
export function storeState(store: KvStore): Map<string, string> {
  const decoder = new TextDecoder();
  const out = new Map<string, string>();
  for (const entry of store.scan()) out.set(decoder.decode(entry.key), decoder.decode(entry.value));
  return out;
}

/**
 * Reopens the crashed disk and checks that it holds exactly the acknowledged state, or the
 * acknowledged state plus the in-flight step (all of it: batches are atomic). For a burst of
 * concurrent puts cut by the crash, every acknowledged put must be there, and the puts that
 * survived must be a prefix of the burst (the log keeps issue order). Returns a description of
 * the mismatch, or undefined.
 */
export async function checkRecovery(memory: MemoryStorage, run: CrashRun, clock: FakeClock, policy: CrashPolicy = 'always'): Promise<string | undefined> {
  const store = await KvStore.open({ storage: processView(memory), ...storeOptions(policy), now: clock.read });
  try {
    const actual = storeState(store);
    if (run.inFlight?.kind === 'burst' && run.burstAcked !== undefined) {
      const problem = checkBurst(run.inFlight, run.burstAcked, actual);
      if (problem !== undefined) return problem;
      for (const key of run.inFlight.keys) actual.delete(key);
      return sameMap(run.acked.visible(clock.now), actual) ? undefined : mismatch(actual, run, clock);
    }
    const candidates = [run.acked.visible(clock.now)];
    if (run.inFlight !== undefined) {
      const withInFlight = run.acked.clone();
      withInFlight.apply(run.inFlight, clock.now);
      candidates.push(withInFlight.visible(clock.now));
    }
    if (candidates.some((expected) => sameMap(expected, actual))) return undefined;
    return mismatch(actual, run, clock);
  } finally {
    await store.close();
  }
}

function checkBurst(burst: Extract<Step, { kind: 'burst' }>, acked: readonly boolean[], actual: ReadonlyMap<string, string>): string | undefined {
  let gap = false;
  for (const [j, key] of burst.keys.entries()) {
    const value = actual.get(key);
    if (value !== undefined && value !== burst.value) return `burst key ${key} holds ${value}`;
    if (acked[j] === true && value === undefined) return `acknowledged burst put ${key} is missing`;
    if (value === undefined) gap = true;
    else if (gap) return `burst put ${key} survived but an earlier put of the same burst did not`;
  }
  return undefined;
}

function mismatch(actual: ReadonlyMap<string, string>, run: CrashRun, clock: FakeClock): string {
  const expected = run.acked.visible(clock.now);
  return `recovered ${JSON.stringify([...actual])}\nexpected ${JSON.stringify([...expected])}\nin flight ${JSON.stringify(run.inFlight)}`;
}

function sameMap(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [key, value] of a) if (b.get(key) !== value) return false;
  return true;
}

/**
 * A fresh disk whose crash outcomes derive from `seed`, alternating the two crash modes:
 * 'prefix' keeps a prefix of unsynced changes, 'subset' any subset (directory changes too).
 */
export function diskFor(seed: number): MemoryStorage {
  const mode: CrashMode = seed % 2 === 0 ? 'prefix' : 'subset';
  return new MemoryStorage({ seed, crashMode: mode });
}
