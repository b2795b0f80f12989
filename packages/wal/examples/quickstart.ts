/**
 * Runnable example: `node --conditions=@nori/source --import tsx examples/quickstart.ts [dir]`.
 * Appends with group commit, reads back, tails new records, and recovers after reopening.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Wal } from '@nori/wal';

/** Runs the example in `dir`; returns the keys it read back after reopening. */
export async function quickstart(dir: string): Promise<string[]> {
  const decoder = new TextDecoder();
  {
    // `always`: each append resolves once its bytes are fsynced; concurrent appends share fsyncs.
    await using wal = await Wal.open({ dir, fsync: 'always' }).then((r) => r.wal);
    // Every record gets a sequence number (1, 2, ...) and a position (segment, byte offset).
    const { index, position } = await wal.append({ key: 'user:1', value: '{"name":"ada"}' });
    console.log('appended record', index, 'at', position);
    console.log('read back by index:', decoder.decode((await wal.get(index)).key));

    // Crash-atomic batch: after a crash either all three records are there or none.
    await wal.appendBatch([
      { key: 'user:2', value: '{"name":"grace"}' },
      { key: 'user:3', value: '{"name":"edsger"}', ttlMs: 60_000 },
      { key: 'user:1', tombstone: true },
    ]);

    // Tail new records as they land; the loop ends cleanly when the signal aborts.
    const controller = new AbortController();
    const tail = (async () => {
      for await (const entry of wal.read({ from: wal.writtenPosition, follow: true, signal: controller.signal })) {
        console.log('tailed', decoder.decode(entry.key));
        controller.abort();
      }
    })();
    await wal.append({ key: 'user:4', value: '{"name":"barbara"}', compression: 'lz4' });
    await tail;
  } // close(): flush + fsync, trim the preallocated tail, release the lock

  const { wal, recovery } = await Wal.open({ dir });
  console.log(`recovered ${recovery.records} records, tail: ${recovery.tail}`);
  const keys: string[] = [];
  for await (const entry of wal.read()) keys.push(`${decoder.decode(entry.key)}${entry.tombstone ? ' (deleted)' : ''}`);
  await wal.close();
  return keys;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const dir = process.argv[2] ?? (await mkdtemp(path.join(tmpdir(), 'nori-quickstart-')));
  console.log(await quickstart(dir));
}
