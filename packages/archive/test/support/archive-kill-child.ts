/**
 * Child process of the archive SIGKILL campaign (test/archiver-kill.test.ts). Loads its modules
 * (so a child can be spawned ahead of its round), then waits for
 * `go <wal dir> <events file> <prefix> <firstId> <seed> <policy>` on stdin, opens the WAL, starts an
 * Archiver on the S3 store named by the test environment (its argument `worker`: ships through a
 * `WorkerObjectStore.s3`, `main-thread`: through an `S3ObjectStore`) and appends records until it is killed,
 * with flushes at random moments.
 *
 * Events go to the events file, one line each, written synchronously (a pipe's queued writes
 * would be lost at SIGKILL) before (`s`) or after (`a`, `f`) the fact:
 *   s <id>                 append(record id) is about to be called
 *   a <id> <seg> <off>     record id was acknowledged at that position
 *   f <seg> <off>          a flush resolved: everything before this position is archived
 *   g <generation>         the archiver started (resumed or began this generation)
 *   e <message>            an unexpected error (the parent fails the round)
 * `ready` on stdout tells the parent the archiver is running, `flushed` that its first flush
 * resolved (so a round killed after it has something archived to check, however loaded the machine).
 */
import { openSync, writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Wal } from '@nori/wal';
import { Archiver, S3ObjectStore, WorkerObjectStore } from '../../src/index.js';
import { Prng } from '@nori/storage';
import { killKey, killValue } from './kill-records.js';
import { readEnv } from './s3-test-env.js';

const env = readEnv();
if (typeof env === 'string') throw new Error(env);

const SEGMENT_SIZE = 16 * 1024;
const WORKERS = 3;

const config = { ...env.config, maxAttempts: 2 };
// The worker thread loads (tsx, the store, the AWS SDK) while the child waits for its round, as
// the child's own modules do; a round that ships on the main thread just never uses it.
const shipping = process.argv[2];
// Normal priority: the campaign tests crash safety, not scheduling. At the default background
// priority (nice +10) a loaded CI machine starved the worker thread for over 90 s before the
// first flush (a documented trade-off of the default: archive lag grows before appends slow).
const workerStore = shipping === 'worker' ? WorkerObjectStore.s3(config, { priority: 'normal' }) : undefined;

const lines = createInterface({ input: process.stdin });
// Never outlive a parent that forgot us: its end of our stdin closes when it exits. No fixed
// lifetime from spawn: children are spawned rounds ahead, and on a loaded machine a child waited
// more than a minute for its round (it then exited before its first flush and failed the round).
lines.once('close', () => process.exit(3));
const go = await new Promise<string>((resolve) => lines.once('line', resolve));
// A round is killed within seconds of `go`; this only bounds a round whose parent hangs.
setTimeout(() => process.exit(3), 600_000).unref();
const [word, dir, eventsPath, prefix, firstText, seedText, policyText] = go.split(' ');
if (word !== 'go' || dir === undefined || eventsPath === undefined || prefix === undefined)
  throw new Error(`expected "go <dir> <events> <prefix> ...", got ${go}`);
const events = openSync(eventsPath, 'a');
const out = (line: string): void => void writeSync(events, `${line}\n`);
let nextId = Number(firstText);
const rng = new Prng(Number(seedText));
const fsync = policyText === 'always' ? 'always' : 'os';

async function appendLoop(wal: Wal): Promise<never> {
  for (;;) {
    const id = nextId++;
    out(`s ${id}`);
    const { position } = await wal.append({ key: killKey(id), value: killValue(id) });
    out(`a ${id} ${position.segmentId} ${position.offset}`);
  }
}

async function flushLoop(archiver: Archiver): Promise<never> {
  for (let flushes = 0; ; flushes++) {
    await new Promise((resolve) => setTimeout(resolve, rng.int(40)));
    const position = await archiver.flush();
    out(`f ${position.segmentId} ${position.offset}`);
    if (flushes === 0) process.stdout.write('flushed\n');
  }
}

try {
  const { wal } = await Wal.open({ dir, fsync, maxSegmentSize: SEGMENT_SIZE });
  const store = workerStore ?? new S3ObjectStore(config);
  const archiver = await Archiver.start(wal, { store, prefix, intervalMs: 10, maxChunkBytes: 8 * 1024, retry: { initialDelayMs: 10, maxDelayMs: 100 } });
  out(`g ${archiver.generation}`);
  process.stdout.write('ready\n');
  await Promise.all([...Array.from({ length: WORKERS }, () => appendLoop(wal)), flushLoop(archiver)]);
} catch (error) {
  out(`e ${error instanceof Error ? `${String((error as { code?: unknown }).code)} ${error.message}` : String(error)}`.replace(/\n/g, ' '));
  process.exit(2);
}
