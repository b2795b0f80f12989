import type { Storage } from '@nori/storage';
import type { WalConfig } from '@nori/wal';
import { keyId } from './bytes.js';
import type { KvIndex } from './kv-index.js';
import { readSnapshotFile } from './snapshot-file.js';
import type { KvOpenOptions, KvSnapshotInfo } from './types.js';

/** The WAL config a store opens with: its storage plus the WAL options the caller set. */
export function walConfigOf(options: KvOpenOptions, storage: Storage): WalConfig {
  const config: WalConfig = { storage, readOnly: options.readOnly === true };
  if (options.fsync !== undefined) config.fsync = options.fsync;
  if (options.maxSegmentSize !== undefined) config.maxSegmentSize = options.maxSegmentSize;
  if (options.recovery !== undefined) config.recovery = options.recovery;
  if (options.preallocate !== undefined) config.preallocate = options.preallocate;
  if (options.observer !== undefined) config.observer = options.observer;
  return config;
}

/** Loads the snapshot, if there is one, into `index`; counts its entries already expired at `loadNow`. */
export async function loadSnapshot(
  storage: Storage,
  index: KvIndex,
  loadNow: number,
  progress: KvOpenOptions['onProgress'],
): Promise<{ snapshot: KvSnapshotInfo | undefined; expired: number }> {
  let expired = 0;
  const header = await readSnapshotFile(
    storage,
    (entry) => {
      if (!index.put(keyId(entry.key), entry.value, entry.expiresAt, loadNow)) expired++;
    },
    progress && ((done, total) => progress({ phase: 'snapshot-load', done, total })),
  );
  const snapshot: KvSnapshotInfo | undefined = header && {
    position: header.position,
    entries: header.entries,
    bytes: header.bytes,
    createdAt: header.createdAt,
  };
  return { snapshot, expired };
}
