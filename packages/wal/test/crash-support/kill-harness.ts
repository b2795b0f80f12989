import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Wal } from '../../src/index.js';
import { LogModel, checkRecovery } from './model.js';
import { Rng } from '@nori/test-support';
import { KILL_PROFILE } from './records.js';
import { describeError, readAll } from './workload.js';

/** The package directory (children run there so `--import tsx` resolves). */
const PACKAGE_DIR = fileURLToPath(new URL('../../', import.meta.url));
const CHILD_SCRIPT = fileURLToPath(new URL('./kill-child.ts', import.meta.url));

/** Options of {@link runKillCampaign}. */
export interface KillOptions {
  /** Kill rounds (one child process per round). */
  rounds: number;
  /** Seed of kill timings and of the children's workloads. */
  seed: number;
  /** Segment size (small: rotations and GC happen within a round). Default 16 KiB. */
  maxSegmentSize?: number;
  /** Kill delay after `ready`, in ms: uniform in [min, max]. Default 20..150. */
  killAfterMs?: [number, number];
  /** Called after each verified round. */
  onRound?: (round: KillRound) => void;
}

/** One kill round. */
export interface KillRound {
  round: number;
  /** The child was killed before it reported `ready` (during startup or recovery). */
  early: boolean;
  submitted: number;
  acknowledged: number;
  recovered: number;
  /** The parent verified with a locking open (else read-only). */
  locked: boolean;
  /** The child's fsync policy. */
  policy: 'always' | 'os' | 'batch';
  violations: string[];
}

/** Totals of a kill campaign. */
export interface KillSummary {
  rounds: number;
  early: number;
  acknowledged: number;
  recovered: number;
  failures: KillRound[];
}

const live = new Set<ChildProcess>();

/** How long a child may take from "go" to "ready" (recovery of a small log) on a loaded machine. */
const READY_TIMEOUT_MS = 30_000;

/** SIGKILLs every child still running (for afterAll hooks). */
export function killAllChildren(): void {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
}

interface Child {
  process: ChildProcess;
  /** The file the child writes its events to. */
  events: string;
  /** Resolves at `ready` (true) or when the child exits first (false). */
  ready: Promise<boolean>;
  /** Resolves when the child exited and its stdout is drained. */
  closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: string[];
}

function spawnChild(dir: string, events: string): Child {
  const child = spawn(process.execPath, ['--conditions=@nori/source', '--import', 'tsx', CHILD_SCRIPT, dir, events], {
    cwd: PACKAGE_DIR,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  live.add(child);
  const stderr: string[] = [];
  let partial = '';
  let onReady: (ok: boolean) => void = () => undefined;
  const ready = new Promise<boolean>((resolve) => (onReady = resolve));
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    if (parts.includes('ready')) onReady(true);
  });
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => stderr.push(chunk));
  child.stdin?.on('error', () => undefined);
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => {
      live.delete(child);
      onReady(false);
      resolve({ code, signal });
    });
  });
  return { process: child, events, ready, closed, stderr };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Feeds a child's protocol lines into the model; returns problems and counts. */
function absorb(lines: readonly string[], model: LogModel): { violations: string[]; submitted: number; acknowledged: number } {
  const violations: string[] = [];
  let submitted = 0;
  let acknowledged = 0;
  for (const line of lines) {
    const [tag, a, b, c] = line.split(' ');
    if (tag === 's') {
      model.submit([Number(a)]);
      submitted++;
    } else if (tag === 'b') {
      const first = Number(a);
      const ids = Array.from({ length: Number(b) }, (_, i) => first + i);
      model.submit(ids);
      submitted += ids.length;
    } else if (tag === 'a') {
      const id = Number(a);
      model.positions([id], [{ segmentId: Number(b), offset: Number(c) }]);
      model.durable([id]);
      acknowledged++;
    } else if (tag === 'gc') {
      model.gc(Number(a));
    } else if (tag === 'e') {
      violations.push(`child error: ${line.slice(2)}`);
    } else if (tag !== 'ready') {
      violations.push(`unexpected child output: ${line.slice(0, 100)}`);
    }
  }
  return { violations, submitted, acknowledged };
}

/**
 * Real-process crash test: every round hands the same directory to a fresh child (spawned while
 * the previous round runs, so module loading overlaps), lets it append with several appends in
 * flight (fsync 'always' in 60% of the rounds, else 'os' or 'batch': acknowledged appends survive
 * a process crash under every policy), SIGKILLs it at a random moment (mostly 20-150 ms after its recovery
 * finished, sometimes before: in the middle of startup or recovery), then reopens the directory in
 * the parent (read-only, or with the writer lock every third round: a dead holder must not block)
 * and checks every acknowledged record is there, in order, without hole, duplicate, foreign
 * record or partial batch. The next child's own recovery must also succeed (it takes the lock).
 */
export async function runKillCampaign(options: KillOptions): Promise<KillSummary> {
  const rng = new Rng(options.seed);
  const maxSegmentSize = options.maxSegmentSize ?? 16 * 1024;
  const [minDelay, maxDelay] = options.killAfterMs ?? [20, 150];
  const root = await mkdtemp(path.join(tmpdir(), 'nori-kill-'));
  const dir = path.join(root, 'wal');
  await mkdir(dir);
  let spawned = 0;
  const nextChild = (): Child => spawnChild(dir, path.join(root, `events-${spawned++}.log`));
  const model = new LogModel();
  const summary: KillSummary = { rounds: 0, early: 0, acknowledged: 0, recovered: 0, failures: [] };
  let spare: Child | undefined;
  try {
    for (let round = 0; round < options.rounds; round++) {
      const child = spare ?? nextChild();
      spare = round + 1 < options.rounds ? nextChild() : undefined;
      const early = rng.chance(0.15);
      const delay = early ? rng.range(0, 40) : rng.range(minDelay, maxDelay);
      const violations: string[] = [];
      const roll = rng.next();
      const policy = roll < 0.6 ? 'always' : roll < 0.8 ? 'os' : 'batch';
      child.process.stdin?.write(`go ${round * 1_000_000 + 1} ${rng.seed()} ${maxSegmentSize} ${policy}\n`);
      let ready = true;
      if (!early) {
        // A child that never gets through Wal.open (e.g. blocked by the dead writer's lock) fails the round.
        let timer: ReturnType<typeof setTimeout> | undefined;
        const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), READY_TIMEOUT_MS)));
        const outcome = await Promise.race([child.ready, timeout]);
        clearTimeout(timer);
        if (outcome === 'timeout') violations.push(`child not ready ${READY_TIMEOUT_MS} ms after "go" (Wal.open blocked?)`);
        ready = outcome === true;
      }
      if (ready) await sleep(delay);
      const killed = child.process.kill('SIGKILL');
      const exit = await child.closed;
      if (!killed || exit.signal !== 'SIGKILL') {
        violations.push(`child exited on its own (code ${String(exit.code)}) before the kill: ${child.stderr.join('').slice(-800)}`);
      }
      // A torn last line (killed mid-write) is ignored: its event is not known to have happened.
      const text = await readFile(child.events, 'utf8').catch(() => '');
      const lines = text.split('\n').slice(0, -1);
      const fed = absorb(lines, model);
      violations.push(...fed.violations);
      const reachedReady = lines.some((l) => l.startsWith('ready '));

      const locked = round % 3 === 2;
      let recovered = 0;
      try {
        const { wal } = await Wal.open({ dir, fsync: 'always', maxSegmentSize, readOnly: !locked });
        try {
          const entries = await readAll(wal, KILL_PROFILE);
          recovered = entries.length;
          const match = checkRecovery(model, entries);
          violations.push(...match.violations);
          if (match.violations.length === 0) model.adopt(match, entries);
        } finally {
          await wal.close();
        }
      } catch (error) {
        violations.push(`reopen after SIGKILL failed: ${describeError(error)}`);
      }
      const result: KillRound = {
        round,
        early: !reachedReady,
        submitted: fed.submitted,
        acknowledged: fed.acknowledged,
        recovered,
        locked,
        policy,
        violations,
      };
      summary.rounds++;
      if (result.early) summary.early++;
      summary.acknowledged += fed.acknowledged;
      summary.recovered = recovered;
      options.onRound?.(result);
      if (violations.length > 0) {
        summary.failures.push(result);
        break;
      }
    }
  } finally {
    if (spare !== undefined) {
      spare.process.kill('SIGKILL');
      await spare.closed;
    }
    await rm(root, { recursive: true, force: true });
  }
  return summary;
}
