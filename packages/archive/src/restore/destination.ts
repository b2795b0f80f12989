import { mkdir, open } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { NodeFileStorage, isStorageError, type Storage } from '@nori/storage';
import { ArchiveError } from '../errors.js';

/** Where a restore writes: a directory (created if missing) or any `Storage`. */
export interface RestoreDestination {
  dir?: string | undefined;
  storage?: Storage | undefined;
}

async function entriesOf(storage: Storage): Promise<string[] | undefined> {
  try {
    return storage.entries === undefined ? await storage.list() : (await storage.entries()).map((entry) => entry.name);
  } catch (error) {
    if (isStorageError(error) && error.code === 'ERR_NOT_FOUND') return undefined;
    throw error;
  }
}

/** Creates `dir` (and parents) and fsyncs its parent, so the new directory entry is durable. */
async function createDirectory(dir: string): Promise<void> {
  const absolute = resolve(dir);
  await mkdir(absolute, { recursive: true });
  const parent = await open(dirname(absolute), 'r');
  try {
    await parent.sync();
  } finally {
    await parent.close();
  }
}

/** A checked destination; `create()` makes a missing directory (called once the restore can start). */
export interface OpenedDestination {
  storage: Storage;
  create(): Promise<void>;
}

/**
 * The storage a restore writes to. `ERR_DESTINATION_NOT_EMPTY` when it already holds any entry
 * (a restore never mixes its segments with other files); `ERR_INVALID_ARGUMENT` unless exactly one
 * of `dir` / `storage` is given. Nothing is created yet.
 */
export async function openDestination(destination: RestoreDestination): Promise<OpenedDestination> {
  const { dir } = destination;
  if ((dir === undefined) === (destination.storage === undefined)) {
    throw new ArchiveError('ERR_INVALID_ARGUMENT', 'restore needs exactly one of `dir` and `storage`');
  }
  const storage = destination.storage ?? new NodeFileStorage(dir as string);
  const entries = await entriesOf(storage);
  if (entries !== undefined && entries.length > 0) {
    throw new ArchiveError(
      'ERR_DESTINATION_NOT_EMPTY',
      `restore destination ${storage.description} is not empty (${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', ...' : ''}); restore only into an empty or new directory`,
    );
  }
  const create = async (): Promise<void> => {
    if (entries === undefined && dir !== undefined) await createDirectory(dir);
  };
  return { storage, create };
}
