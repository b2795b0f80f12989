/**
 * Child process of the remote-durable kill test (s3-promote-kill.test.ts): a primary that the
 * parent SIGKILLs. Loads everything, then waits for `go <walDir> <firstId> <seed> <workers> <prefix>`
 * on stdin, opens the WAL, starts an archiver on archive prefix `<prefix>` of the S3 store (config
 * JSON and store prefix in argv[2..3]) and appends remote-durably from several workers until killed.
 *
 * Events go to the file argv[4], one line each, with a synchronous write(2) before (submission)
 * or after (acknowledgement) the fact, so they are in the kernel when the process dies:
 *   ready <generation>   the archiver runs (and `ready` on stdout; `acked` there after the first
 *                        remote-durable append resolved)
 *   s <id>               archiver.append(record id) is about to be called
 *   a <id>               record id is remote-durable (archiver.append resolved)
 *   e <code> <message>   an unexpected error (the parent fails the round)
 */
import { openSync, writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Wal } from '@nori/wal';
import { Archiver, S3ObjectStore, type S3ObjectStoreConfig } from '../../src/index.js';
import { remoteRecord } from './remote-records.js';

const [configJson, storePrefix, eventsPath] = process.argv.slice(2);
if (configJson === undefined || storePrefix === undefined || eventsPath === undefined) {
  throw new Error('usage: remote-durable-child.ts <s3 config json> <store prefix> <events file>');
}
const events = openSync(eventsPath, 'a');
const out = (line: string): void => {
  writeSync(events, `${line}\n`);
};

// Never outlive a parent that forgot us.
setTimeout(() => process.exit(3), 120_000).unref();

const config = JSON.parse(configJson) as S3ObjectStoreConfig;
const store = new S3ObjectStore({ ...config, prefix: storePrefix });
process.stdout.write('loaded\n');
const lines = createInterface({ input: process.stdin });
const go = await new Promise<string>((resolve) => lines.once('line', resolve));
const [word, dir, firstText, seedText, workersText, prefix] = go.split(' ');
if (word !== 'go' || dir === undefined || prefix === undefined) throw new Error(`expected "go", got ${go}`);

try {
  const { wal } = await Wal.open({ dir, fsync: 'os', maxSegmentSize: 1024 * 1024 });
  const archiver = await Archiver.start(wal, { store, prefix, intervalMs: 1000, retry: { initialDelayMs: 20, maxDelayMs: 200 } });
  out(`ready ${archiver.generation}`);
  process.stdout.write('ready\n');
  let nextId = Number(firstText);
  const seed = Number(seedText);
  let announcedAck = false;
  const worker = async (): Promise<void> => {
    for (;;) {
      const id = nextId++;
      out(`s ${id}`);
      await archiver.append(remoteRecord(id, seed));
      out(`a ${id}`);
      if (!announcedAck) {
        announcedAck = true;
        process.stdout.write('acked\n');
      }
    }
  };
  await Promise.all(Array.from({ length: Number(workersText) }, () => worker()));
} catch (error) {
  const code = String((error as { code?: unknown }).code);
  out(`e ${code} ${error instanceof Error ? error.message : String(error)}`.replace(/\n/g, ' '));
  process.exit(2);
}
