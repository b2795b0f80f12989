import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Wal } from '../../src/index.js';
import { Rng } from '@nori/test-support';

const PACKAGE_DIR = fileURLToPath(new URL('../../', import.meta.url));
const CHILD_SCRIPT = fileURLToPath(new URL('./truncate-kill-child.ts', import.meta.url));

/** What the log held after a round: index -> record id, and its first index. */
export interface KilledLog {
  records: Map<number, number>;
  firstIndex: number;
}

/**
 * Checks a log recovered after SIGKILL against the child's events, starting from `before` (the
 * log at the start of the round): every index keeps its acknowledged record, no hole; the log
 * ends at the last acknowledged record (plus possibly the batch in flight, ids never
 * acknowledged), or, when killed inside truncateAfter(k), at its old end or exactly at k; it
 * starts at the truncateBefore mark (or, killed inside one, at the old or the new mark).
 */
export function checkKilledLog(before: KilledLog, events: readonly string[], recovered: readonly number[][], firstIndex: number): string[] {
  const model = new Map(before.records);
  let mark = before.firstIndex;
  let pendingCut: number | undefined;
  let pendingMark: number | undefined;
  let maxAckedId = Math.max(-1, ...model.values());
  const problems: string[] = [];
  for (const line of events) {
    const [tag, a, b] = line.split(' ');
    const n = Number(a);
    if (tag === 'a') {
      model.set(n, Number(b));
      maxAckedId = Math.max(maxAckedId, Number(b));
    } else if (tag === 't') pendingCut = n;
    else if (tag === 'T') {
      for (const index of [...model.keys()]) if (index > n) model.delete(index);
      pendingCut = undefined;
    } else if (tag === 'f') pendingMark = n;
    else if (tag === 'F') {
      mark = Math.max(mark, n);
      pendingMark = undefined;
    } else problems.push(`child: ${line}`);
  }
  const lastAcked = Math.max(mark - 1, ...model.keys());
  let lastKnown = firstIndex - 1;
  recovered.forEach(([index, id], i) => {
    if (i > 0 && index !== (recovered[i - 1]?.[0] as number) + 1) problems.push(`hole before index ${index}`);
    const acked = model.get(index as number);
    if (acked !== undefined && acked !== id) problems.push(`index ${index} holds record ${id}, acknowledged was ${acked}`);
    if (acked === undefined && (index as number) <= lastAcked) problems.push(`index ${index} holds record ${id}, never acknowledged there`);
    if (acked === undefined && (id as number) <= maxAckedId) problems.push(`record ${id} at index ${index} is not new`);
    if (acked !== undefined) lastKnown = index as number;
  });
  const ends = pendingCut === undefined ? [lastAcked] : [lastAcked, pendingCut];
  if (!ends.includes(lastKnown)) problems.push(`the log ends at index ${lastKnown}, expected ${ends.join(' or ')}`);
  if (pendingCut !== undefined && lastKnown === pendingCut && recovered.length > 0 && recovered.at(-1)?.[0] !== pendingCut) {
    problems.push('records follow an interrupted cut');
  }
  const starts = pendingMark === undefined ? [mark] : [mark, pendingMark];
  if (recovered.length > 0 && !starts.includes(firstIndex)) problems.push(`the log starts at ${firstIndex}, expected ${starts.join(' or ')}`);
  return problems;
}

/** Lines in `file` so far (0 when it does not exist yet). */
async function countLines(file: string): Promise<number> {
  return (await readFile(file, 'utf8').catch(() => '')).split('\n').length - 1;
}

/**
 * One round: a child runs on `dir` until it has logged `killAfterEvents` events (or 10 s passed:
 * progress, not time, decides, so a loaded machine still gets a real round), then is SIGKILLed.
 */
async function runChild(dir: string, events: string, seed: number, firstId: number, killAfterEvents: number): Promise<string[]> {
  const child = spawn(process.execPath, ['--conditions=@nori/source', '--import', 'tsx', CHILD_SCRIPT, dir, events, String(seed), String(firstId)], {
    cwd: PACKAGE_DIR,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => stderr.push(chunk));
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  await new Promise<void>((resolve) => {
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      if (chunk.includes('ready')) resolve();
    });
    child.on('close', () => resolve());
  });
  const deadline = Date.now() + 10_000;
  while (child.exitCode === null && Date.now() < deadline && (await countLines(events)) < killAfterEvents) {
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  child.kill('SIGKILL');
  await closed;
  return stderr;
}

/** Reads the whole log: [index, record id] pairs and firstIndex (a writable open completes a pending cut). */
async function readLog(dir: string): Promise<{ records: number[][]; firstIndex: number }> {
  const { wal } = await Wal.open({ dir, maxSegmentSize: 2048 });
  try {
    const records: number[][] = [];
    for await (const entry of wal.read()) records.push([entry.index, Number(new TextDecoder().decode(entry.key))]);
    return { records, firstIndex: wal.firstIndex };
  } finally {
    await wal.close();
  }
}

/** Runs `rounds` SIGKILL rounds on one directory; returns the problems found and what was checked. */
export async function runTruncateKillCampaign(dir: string, rounds: number, seed: number): Promise<{ failures: string[]; acknowledged: number; cuts: number }> {
  const rng = new Rng(seed);
  let log: KilledLog = { records: new Map(), firstIndex: 1 };
  let firstId = 0;
  let cuts = 0;
  let acknowledged = 0;
  const failures: string[] = [];
  for (let round = 0; round < rounds && failures.length === 0; round++) {
    const events = path.join(dir, `events-${round}.txt`);
    const stderr = await runChild(path.join(dir, 'wal'), events, rng.int(1 << 30), firstId, 30 + rng.int(200));
    const lines = (await readFile(events, 'utf8').catch(() => '')).split('\n').filter((l) => l !== '');
    cuts += lines.filter((l) => l.startsWith('T ')).length;
    acknowledged += lines.filter((l) => l.startsWith('a ')).length;
    const recovered = await readLog(path.join(dir, 'wal'));
    const problems = checkKilledLog(log, lines, recovered.records, recovered.firstIndex);
    if (problems.length > 0) failures.push(`round ${round}: ${problems.slice(0, 5).join('; ')}${stderr.length > 0 ? `\nstderr: ${stderr.join('')}` : ''}`);
    log = { records: new Map(recovered.records.map(([index, id]) => [index as number, id as number])), firstIndex: recovered.firstIndex };
    firstId = 1 + Math.max(firstId, ...lines.filter((l) => l.startsWith('a ')).map((l) => Number(l.split(' ')[2])));
  }
  return { failures, acknowledged, cuts };
}
