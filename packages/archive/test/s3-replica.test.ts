import { afterAll, expect, it } from 'vitest';
import { ARCHIVE_SIDE_FILE } from '../src/archiver/side-file.js';
import { Archiver, S3ObjectStore, openReplica, type ObjectStore, type ReplicaEntry } from '../src/index.js';
import { appendRecords, openWal } from './archiver-support.js';
import { texts, walRecords } from './replica-support.js';
import { describeS3, uniquePrefix } from './s3-env.js';

// Real network round trips: generous, but bounded.
const S3_TIMEOUT_MS = 120_000;

async function removeAll(store: ObjectStore): Promise<void> {
  for await (const { key } of store.list('')) await store.delete(key);
}

describeS3('Replica against a real S3 store', (env) => {
  const stores: S3ObjectStore[] = [];
  afterAll(async () => {
    for (const store of stores) {
      await removeAll(store).catch(() => undefined);
      store.destroy();
    }
  });
  const retry = { initialDelayMs: 50, maxDelayMs: 500 };

  it('follows a primary live through a takeover with its own client, every record once', { timeout: S3_TIMEOUT_MS }, async () => {
    const prefix = uniquePrefix('replica');
    // Two clients, as on two machines: the primary's and the replica's.
    const primaryStore = new S3ObjectStore({ ...env.config, prefix });
    const replicaStore = new S3ObjectStore({ ...env.config, prefix });
    stores.push(primaryStore, replicaStore);
    const wal = await openWal();
    let archiver = await Archiver.start(wal, { store: primaryStore, prefix: 'log', retry, intervalMs: 20, maxChunkBytes: 3000 });
    const replica = openReplica({ store: replicaStore, prefix: 'log', pollIntervalMs: 20, retry });
    const seen: ReplicaEntry[] = [];
    const following = (async () => {
      for await (const entry of replica.follow()) {
        seen.push(entry);
        if (seen.length === 240) break;
      }
    })();
    for (let round = 0; round < 4; round++) {
      await appendRecords(wal, 40, { from: round * 40 });
      await wal.sync();
    }
    await archiver.flush();
    await archiver.close();
    // A takeover re-ships the same log as generation 2; the replica continues after what it read.
    await wal.storage.remove(ARCHIVE_SIDE_FILE);
    archiver = await Archiver.start(wal, { store: primaryStore, prefix: 'log', retry, intervalMs: 20, takeover: true });
    await appendRecords(wal, 80, { from: 160 });
    await archiver.flush();
    await following;
    expect(texts(seen)).toEqual((await walRecords(wal)).texts);
    expect(seen.at(-1)?.generation).toBe(2);
    expect((await replica.lag()).chunks).toBe(0);
    await archiver.close();
    await wal.close();
    await replica.close();
  });
});
