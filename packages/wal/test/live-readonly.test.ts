import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Wal, type Position, type WalEntry } from '../src/index.js';
import { indexOf, tempDir } from '@nori/test-support';

const PACKAGE_DIR = fileURLToPath(new URL('../', import.meta.url));
const CHILD = fileURLToPath(new URL('./fixtures/live-gc-writer.ts', import.meta.url));
/** Enough rounds to meet every race several times (each failed about every other round before). */
const ROUNDS = 30;
/** Records a follower waits for: more than one rotation of the writer's 4 KiB segments. */
const FOLLOWED = 40;

const stops: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const stop of stops.splice(0)) await stop();
});

/** Starts the busy writer (rotation + GC) on `dir`; resolves once its GC has run. */
async function startWriter(dir: string): Promise<{ stop: () => Promise<string> }> {
  const child = spawn(process.execPath, ['--conditions=@nori/source', '--import', 'tsx', CHILD, dir], {
    cwd: PACKAGE_DIR,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const stop = async (): Promise<string> => {
    child.stdin.end();
    const code = await exited;
    return code === 0 ? stderr : `exit ${String(code)}: ${stderr}`;
  };
  stops.push(async () => void (await stop()));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve();
    });
    void exited.then((code) => reject(new Error(`writer exited (${String(code)}) before it was ready: ${stderr}`)));
  });
  return { stop };
}

/** Reads `entries`, checking that record numbers follow each other; returns how many were read. */
async function readInOrder(entries: AsyncIterable<WalEntry>, limit: number, abort?: AbortController): Promise<number> {
  let previous: number | undefined;
  let count = 0;
  for await (const entry of entries) {
    const index = indexOf(entry.key);
    if (previous !== undefined && index !== previous + 1) throw new Error(`record ${index} followed record ${previous}`);
    previous = index;
    count++;
    if (count === limit) abort?.abort();
  }
  return count;
}

function describeError(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return `${typeof code === 'string' ? code : 'no code'}: ${error instanceof Error ? error.message : String(error)}`;
}

describe('read-only views of a live log (a writer in another process rotates and collects segments)', () => {
  it('read-only opens, readers and followers never report damage and never skip a record', { timeout: 60_000 }, async () => {
    const { dir, cleanup } = await tempDir('nori-live-');
    stops.push(cleanup);
    const writer = await startWriter(dir);
    const alarms: string[] = [];
    let read = 0;
    let followed = 0;
    let gone = 0;
    const oldest: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      let wal: Wal | undefined;
      try {
        const opened = await Wal.open({ dir, readOnly: true });
        wal = opened.wal;
        const { corruptions } = opened.recovery;
        if (corruptions.length > 0) alarms.push(`round ${round}: recovery reported ${JSON.stringify(corruptions)}`);
        oldest.push((await wal.segments())[0]?.id ?? -1);
        // Tail from where recovery ended, through rotations (trim, rename of the spare) ...
        const from: Position = opened.recovery.lastPosition;
        const abort = new AbortController();
        followed += await readInOrder(wal.read({ from, follow: true, pollIntervalMs: 1, signal: abort.signal }), FOLLOWED, abort);
        // ... then read the whole view from its start (GC has moved the start meanwhile).
        read += await readInOrder(wal.read(), Infinity);
      } catch (error) {
        // GC in the writer deleted a segment before this reader reached it: reported, not damage.
        if ((error as { code?: unknown }).code === 'ERR_SEGMENT_GONE') gone++;
        else alarms.push(`round ${round}: ${describeError(error)}`);
      } finally {
        await wal?.close();
      }
    }
    expect(await writer.stop()).toBe('');
    expect(alarms).toEqual([]);
    // Not vacuous: the views moved with the writer's GC, and most reads got through.
    expect(new Set(oldest).size).toBeGreaterThan(ROUNDS / 2);
    expect(gone).toBeLessThan(ROUNDS / 2);
    expect(followed).toBeGreaterThanOrEqual((ROUNDS - gone) * FOLLOWED);
    expect(read).toBeGreaterThan(0);
  });
});
