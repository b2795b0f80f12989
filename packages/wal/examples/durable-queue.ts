/**
 * Runnable example: `node --conditions=@nori/source --import tsx examples/durable-queue.ts [dir]`.
 * A durable work queue: producers append jobs, a consumer works through them and commits its
 * offset (the sequence number of the next job, Kafka style) to a small side file with write +
 * rename, so after a crash it resumes exactly after the last committed job (at-least-once: a job
 * finished but not yet committed runs again). Consumed jobs are dropped with `truncateBefore`:
 * reads below the offset then fail, and whole consumed segments are deleted.
 */
import { mkdtemp, readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Wal } from '@nori/wal';

const decoder = new TextDecoder();

/** Where the consumer's committed offset lives (outside the WAL's own directory). */
function offsetFile(dir: string): string {
  return path.join(dir, 'consumer.offset.json');
}

/** Reads the committed offset (the index of the next job to run), or undefined before the first commit. */
export async function loadOffset(dir: string): Promise<number | undefined> {
  try {
    return (JSON.parse(await readFile(offsetFile(dir), 'utf8')) as { next: number }).next;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Commits `next` atomically: a crash leaves the old offset or the new one. */
export async function commitOffset(dir: string, next: number): Promise<void> {
  const temp = `${offsetFile(dir)}.tmp`;
  await writeFile(temp, JSON.stringify({ next }), { flush: true });
  await rename(temp, offsetFile(dir));
}

/**
 * Consumes up to `max` jobs from the committed offset, committing after each one; returns the
 * jobs it handled. Then drops what was consumed.
 */
export async function consume(wal: Wal, dir: string, max: number): Promise<string[]> {
  const done: string[] = [];
  const from = (await loadOffset(dir)) ?? wal.firstIndex;
  for await (const entry of wal.read({ fromIndex: from, ...(Number.isFinite(max) ? { limit: max } : {}) })) {
    done.push(decoder.decode(entry.value));
    await commitOffset(dir, entry.index + 1);
  }
  const committed = await loadOffset(dir);
  if (committed !== undefined) await wal.truncateBefore(committed);
  return done;
}

/** Runs the example: 10 jobs, a consumer that stops after 4, a restart, the rest. */
export async function durableQueue(root: string): Promise<{ first: string[]; afterRestart: string[] }> {
  const dir = path.join(root, 'wal');
  let first: string[];
  {
    await using wal = (await Wal.open({ dir, fsync: 'always', maxSegmentSize: 4096 })).wal;
    for (let i = 0; i < 10; i++) await wal.append({ key: 'jobs', value: `job-${i}:${'x'.repeat(500)}` });
    first = await consume(wal, root, 4);
  } // the consumer process stops
  await using wal = (await Wal.open({ dir, fsync: 'always', maxSegmentSize: 4096 })).wal;
  const afterRestart = await consume(wal, root, Infinity);
  const name = (job: string) => job.slice(0, job.indexOf(':'));
  console.log('first run', first.map(name), 'after restart', afterRestart.map(name));
  return { first: first.map(name), afterRestart: afterRestart.map(name) };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const root = process.argv[2] ?? (await mkdtemp(path.join(tmpdir(), 'nori-queue-')));
  await durableQueue(root);
}
