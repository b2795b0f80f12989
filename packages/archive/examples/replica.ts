import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Wal } from '@nori/wal';
import { Archiver, MemoryObjectStore, S3ObjectStore, openReplica, type ObjectStore, type ReplicaPosition } from '@nori/archive';

/**
 * A primary ships its WAL; a replica (on another machine, here another store client) follows it
 * live, stops, and resumes from its saved position without seeing a record twice. Returns what
 * happened, line by line.
 */
export async function followPrimary(dir: string, primaryStore: ObjectStore, replicaStore: ObjectStore): Promise<string[]> {
  const lines: string[] = [];
  await using wal = (await Wal.open({ dir, fsync: 'batch', maxSegmentSize: 16 * 1024 })).wal;
  await using archiver = await Archiver.start(wal, { store: primaryStore, prefix: 'orders', intervalMs: 50 });

  // The replica: follow from the start, apply each record, remember where it stands.
  const state = new Map<string, string>();
  let saved: ReplicaPosition | undefined;
  const decoder = new TextDecoder();
  const follow = async (until: number): Promise<void> => {
    await using replica = openReplica({ store: replicaStore, prefix: 'orders', pollIntervalMs: 20 });
    for await (const e of replica.follow(saved === undefined ? {} : { from: saved })) {
      state.set(decoder.decode(e.key), decoder.decode(e.value));
      saved = e.next; // { segmentId, offset, generation }: persist it with the applied state
      if (state.size === until) break;
    }
  };

  const appending = (async () => {
    for (let i = 0; i < 500; i++) await wal.append({ key: `order:${i}`, value: JSON.stringify({ total: i * 3 }) });
  })();
  await follow(300); // follows while the primary writes and ships
  lines.push(`replica applied ${state.size} orders, stopped at ${saved?.segmentId}:${saved?.offset} (generation ${saved?.generation})`);
  await appending;
  await archiver.flush();
  await follow(500); // resumes after the saved position: no record twice, none missing
  lines.push(`replica resumed and applied ${state.size} orders; order:499 = ${state.get('order:499')}`);
  return lines;
}

// Run directly: against S3 when NORI_S3_ENDPOINT/NORI_S3_BUCKET are set, else in memory.
if (import.meta.url === `file://${process.argv[1]}`) {
  const { NORI_S3_ENDPOINT: endpoint, NORI_S3_BUCKET: bucket } = process.env;
  const prefix = `example/${Date.now()}/`;
  const s3 = endpoint !== undefined && bucket !== undefined;
  const memory = new MemoryObjectStore();
  const primary = s3 ? new S3ObjectStore({ endpoint, bucket, forcePathStyle: true, prefix }) : memory;
  const replica = s3 ? new S3ObjectStore({ endpoint, bucket, forcePathStyle: true, prefix }) : memory;
  const dir = await mkdtemp(path.join(tmpdir(), 'nori-replica-'));
  try {
    for (const line of await followPrimary(dir, primary, replica)) console.log(line);
  } finally {
    await rm(dir, { recursive: true, force: true });
    for (const store of [primary, replica]) if (store instanceof S3ObjectStore) store.destroy();
  }
}
