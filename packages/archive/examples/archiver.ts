import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Wal } from '@nori/wal';
import { Archiver, MemoryObjectStore, S3ObjectStore, type ObjectStore } from '@nori/archive';

/**
 * Ships a WAL to an object store while it is written, then restarts it: the same generation
 * continues. Returns what happened, line by line.
 */
export async function archiveWhileWriting(dir: string, store: ObjectStore): Promise<string[]> {
  const lines: string[] = [];
  {
    const { wal } = await Wal.open({ dir, fsync: 'os', maxSegmentSize: 16 * 1024 });
    // Ships every second (or once 8 MiB wait), only bytes the WAL made durable.
    const archiver = await Archiver.start(wal, { store, prefix: 'orders', intervalMs: 1000 });
    for (let i = 0; i < 1000; i++) await wal.append({ key: `order:${i}`, value: JSON.stringify({ i, total: i * 3 }) });
    // fsync 'os': nothing is durable yet, so nothing is shippable. flush() syncs the WAL and
    // resolves once everything appended before it is in the store.
    const archived = await archiver.flush();
    lines.push(`generation ${archiver.generation}: archived up to ${archived.segmentId}:${archived.offset}`);
    // GC can never delete a segment the archive does not have yet.
    await wal.deleteSegmentsBefore(wal.writtenPosition);
    await archiver.close({ flush: true });
    await wal.close();
  }
  {
    // Restart: archive.json in the WAL directory says generation 1 is ours; it continues.
    // `await using` disposes in reverse order: the archiver closes before its WAL.
    await using wal = (await Wal.open({ dir, fsync: 'os', maxSegmentSize: 16 * 1024 })).wal;
    await using archiver = await Archiver.start(wal, { store, prefix: 'orders' });
    await wal.append({ key: 'order:1000', value: '{}' });
    await archiver.flush();
    const lag = await archiver.lag();
    lines.push(`generation ${archiver.generation} after restart, lag ${lag.bytes} bytes`);
  }
  return lines;
}

// Run directly: against S3 when NORI_S3_ENDPOINT/NORI_S3_BUCKET are set, else in memory.
if (import.meta.url === `file://${process.argv[1]}`) {
  const { NORI_S3_ENDPOINT: endpoint, NORI_S3_BUCKET: bucket } = process.env;
  const store =
    endpoint !== undefined && bucket !== undefined
      ? new S3ObjectStore({ endpoint, bucket, forcePathStyle: true, prefix: `example/${Date.now()}/` })
      : new MemoryObjectStore();
  const dir = await mkdtemp(path.join(tmpdir(), 'nori-archiver-'));
  try {
    for (const line of await archiveWhileWriting(dir, store)) console.log(line);
  } finally {
    await rm(dir, { recursive: true, force: true });
    if (store instanceof S3ObjectStore) store.destroy();
  }
}
