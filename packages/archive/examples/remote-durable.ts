import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Wal } from '@nori/wal';
import { Archiver, MemoryObjectStore, isArchiveError, promote, type ObjectStore } from '@nori/archive';

/**
 * A primary in `dir` acknowledges writes only once they are in the object store; after losing it,
 * a new primary is promoted from the archive into `newDir`, and the old one, back, is fenced.
 */
export async function remoteDurableFailover(store: ObjectStore, dir: string, newDir: string): Promise<string[]> {
  const { wal } = await Wal.open({ dir, fsync: 'os' });
  const archiver = await Archiver.start(wal, { store, prefix: 'orders' });

  // 64 concurrent writers: they share one fsync and one PUT per group, like a group commit.
  const writes = Array.from({ length: 64 }, (_, i) => archiver.append({ key: `order:${i}`, value: '{"total":3}' }));
  await Promise.all(writes); // every order is in the store now

  // The primary's machine is gone: promote a new one from the archive (restore, open, take over).
  await using primary = await promote({ store, prefix: 'orders', dir: newDir });
  const { generation, restoredGeneration, recovery } = primary.report;
  const lines = [`generation ${generation} promoted from ${restoredGeneration}: ${recovery.records} records`];

  // The old primary comes back and tries to write: fenced, and the error says by whom.
  try {
    await archiver.append({ key: 'order:late', value: '{}' });
  } catch (error) {
    if (!isArchiveError(error, 'ERR_FENCED')) throw error;
    lines.push(`old primary: ${error.code}`);
  }
  await archiver.close();
  await wal.close();
  return lines;
}

// Run directly: in memory.
if (import.meta.url === `file://${process.argv[1]}`) {
  const root = await mkdtemp(path.join(tmpdir(), 'nori-remote-durable-'));
  try {
    for (const line of await remoteDurableFailover(new MemoryObjectStore(), path.join(root, 'a'), path.join(root, 'b'))) console.log(line);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
