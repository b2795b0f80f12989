import { Archiver } from '@nori/archive';
import { NodeFileStorage, type Storage } from '@nori/storage';
import type { Wal } from '@nori/wal';
import { KvError, errorCode, isKvError } from './errors.js';
import { toKvError } from './error-mapping.js';
import { SNAPSHOT_FILE } from './snapshot-file.js';
import type { KvOpenOptions, KvSnapshotInfo } from './types.js';

/**
 * How often a read-only open starts over when the writer's compaction deleted a segment it was
 * replaying (it then finds the new snapshot): a race, not damage.
 */
export const READ_ONLY_OPEN_ATTEMPTS = 3;

/**
 * Starts the archiver of the `archive` option on the freshly opened WAL. A read-only store ships
 * nothing, so the combination is refused.
 */
export async function startArchiver(wal: Wal, options: KvOpenOptions): Promise<Archiver> {
  if (options.readOnly === true) throw new KvError('ERR_INVALID_ARGUMENT', 'the archive option needs a writable store (readOnly is set)');
  const archive = options.archive as NonNullable<KvOpenOptions['archive']>;
  return Archiver.start(wal, options.signal === undefined ? archive : { ...archive, signal: options.signal });
}

/** The storage of the `dir` or `storage` option. */
export function resolveStorage(options: KvOpenOptions): Storage {
  if (options.storage !== undefined) return options.storage;
  if (typeof options.dir !== 'string' || options.dir.length === 0) {
    throw new KvError('ERR_INVALID_ARGUMENT', 'KvStore.open needs a `dir` or a `storage`');
  }
  return new NodeFileStorage(options.dir);
}

/** `ERR_NO_STORE` unless `storage` holds a snapshot or a segment. */
export async function assertStoreExists(storage: Storage): Promise<void> {
  let names: string[];
  try {
    names = await storage.list();
  } catch (error) {
    if (errorCode(error) === 'ERR_NOT_FOUND' || errorCode(error) === 'ENOENT') {
      throw new KvError('ERR_NO_STORE', `no store at ${storage.description}`, { cause: error });
    }
    throw toKvError(error, storage, 'open the store');
  }
  if (!names.some((name) => name === SNAPSHOT_FILE || name.endsWith('.wal'))) {
    throw new KvError('ERR_NO_STORE', `no store at ${storage.description}`);
  }
}

/**
 * Segment ids start at 0 and only compaction deletes segments, after its snapshot is durable: a
 * log whose oldest segment is not 0 needs `kv.snapshot`. Without it the records compacted away
 * would silently be missing, so refuse (nothing is modified; restoring the file fixes the store).
 */
export async function assertLogCovered(wal: Wal, snapshot: KvSnapshotInfo | undefined, storage: Storage): Promise<void> {
  if (snapshot !== undefined) return;
  const oldest = (await wal.segments())[0];
  if (oldest === undefined || oldest.id === 0) return;
  throw new KvError(
    'ERR_SNAPSHOT_MISSING',
    `${storage.description}/${SNAPSHOT_FILE} is missing, but the log starts at segment ${oldest.id}: the records before it ` +
      'exist only in that snapshot. Restore the file (e.g. from a backup); opening without it would lose them',
  );
}

/** A read-only open replayed from a snapshot that a concurrent compaction replaced meanwhile. */
export function isCompactionRace(error: unknown): boolean {
  return isKvError(error, 'ERR_CORRUPTION') && errorCode(error.cause) === 'ERR_SEGMENT_GONE';
}
