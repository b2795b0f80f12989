/**
 * Runnable example from the README:
 * `node --conditions=@nori/source --import tsx examples/quickstart.ts [dir]`.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStorage, NodeFileStorage, type Storage } from '../src/index.js';

/** Appends two records durably and reads them back; returns the file content as text. */
export async function appendAndRead(storage: Storage): Promise<string> {
  await using _lock = await storage.lock(); // ERR_LOCKED if another writer holds the directory
  const file = await storage.open('000001.wal', { create: true });
  try {
    const encoder = new TextEncoder();
    // Hand bytes to the OS at once (no thread-pool round trip), then make them durable.
    file.writevSync([encoder.encode('hello '), encoder.encode('world\n')], 0);
    await file.datasync();
    await storage.syncDir(); // the new directory entry must be durable too

    const buffer = new Uint8Array(await file.size());
    await file.read(buffer, 0, buffer.length, 0);
    return new TextDecoder().decode(buffer);
  } finally {
    await file.close();
  }
}

/** Shows that synced data survives a simulated power loss and unsynced data may not. */
export async function crashDemo(seed: number): Promise<{ synced: string; unsyncedSurvived: boolean }> {
  const disk = new MemoryStorage({ seed });
  await appendAndRead(disk);
  const file = await disk.open('000001.wal');
  file.writevSync([new TextEncoder().encode('not yet synced\n')], 12);
  disk.crash(); // `file` now fails with ERR_CRASHED; the disk is reopened "by a new process"

  const after = await disk.open('000001.wal');
  const buffer = new Uint8Array(await after.size());
  await after.read(buffer, 0, buffer.length, 0);
  await after.close();
  const text = new TextDecoder().decode(buffer);
  return { synced: text.slice(0, 12), unsyncedSurvived: text.length > 12 };
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  const dir = process.argv[2] ?? mkdtempSync(join(tmpdir(), 'nori-storage-example-'));
  console.log(JSON.stringify(await appendAndRead(new NodeFileStorage(dir))));
  console.log(await crashDemo(1));
}
