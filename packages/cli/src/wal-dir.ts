import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { NodeFileStorage, isStorageError, type LockInfo, type StorageEntry } from '@nori/storage';
import { parseSegmentName, type SealedEntry } from '@nori/wal/scan';
import { NoriCliError, fsError, storageFailure } from './errors.js';
import { SALVAGED_FILE, readSalvaged, type SalvagedSpan } from './salvaged.js';
import { snapshotSealed } from './sealed.js';

/** One segment file (`NNNNNN.wal`, named as `@nori/wal`'s `parseSegmentName` accepts) of a WAL directory. */
export interface SegmentFile {
  /** Segment id parsed from the file name. */
  id: number;
  /** File name inside the directory, e.g. `000003.wal`. */
  name: string;
  /** Absolute path. */
  path: string;
  /** File length in bytes (including any preallocated tail). */
  size: number;
}

/** A file next to the segments (`LOCK`, `batches.intent`, a quarantined segment, ...). */
export interface SideFile {
  /** Path relative to the WAL directory, e.g. `quarantine/000004.wal`. */
  name: string;
  size: number;
}

/** Who holds the writer lock, as recorded in the `LOCK` file. */
export interface LockHolder extends LockInfo {
  /**
   * `true` when the holder is on this host and its process is gone (a crashed writer); `false`
   * when it runs; `undefined` when that cannot be told (another host, or no permission to ask).
   */
  stale: boolean | undefined;
}

/** What is in a WAL directory, read without taking the writer lock. */
export interface WalDirectory {
  /** Absolute path of the directory. */
  dir: string;
  /** Segment files sorted by id. */
  segments: SegmentFile[];
  /** Other files directly inside the directory (`LOCK`, `batches.intent`, ...). */
  sideFiles: SideFile[];
  /**
   * Side files named like segments that are not segment names (`0000001.wal`, `7.wal`): the WAL
   * never reads them, and neither does the CLI.
   */
  ignored: SideFile[];
  /** Files under `quarantine/`. */
  quarantine: SideFile[];
  /** The writer lock holder, if the directory is locked. */
  lock: LockHolder | undefined;
  /** Regions salvage recovery skipped, as listed in `salvaged.json` (empty without that file). */
  salvaged: SalvagedSpan[];
  /** Segments `@nori/wal` sealed, as listed in `sealed.log` (empty without that file, e.g. Rust-written logs). */
  sealed: SealedEntry[];
}

/** Ends like a segment name: such a file that is not one is listed as ignored. */
const SEGMENT_SUFFIX = '.wal';
const QUARANTINE_DIR = 'quarantine';
const LOCK_FILE = 'LOCK';

/**
 * Checks that `dir` is an existing directory and returns its absolute path. Never creates
 * anything. Throws {@link NoriCliError} `ERR_NOT_FOUND` / `ERR_NOT_A_DIRECTORY`.
 */
export async function assertDirectory(dir: string): Promise<string> {
  const storage = new NodeFileStorage(resolve(dir));
  let info;
  try {
    info = await storage.stat();
  } catch (error) {
    throw storageFailure(error, dir);
  }
  if (info.kind !== 'directory') throw new NoriCliError('ERR_NOT_A_DIRECTORY', `${dir}: not a directory`);
  return storage.root;
}

/**
 * Lists a WAL directory without locking or modifying it, and reads its `salvaged.json`. Throws
 * {@link NoriCliError} `ERR_NOT_A_WAL` when the directory holds no segment file, no `LOCK` and no
 * `quarantine/`, `ERR_BAD_SALVAGED` when `salvaged.json` is malformed, `ERR_BAD_SEALED` when `sealed.log` is.
 */
export async function readWalDirectory(dir: string): Promise<WalDirectory> {
  const absolute = await assertDirectory(dir);
  // Every read goes through @nori/storage, opened read-only: no lock taken, nothing written.
  const storage = new NodeFileStorage(absolute);
  const sealedSnapshot = await snapshotSealed(absolute);
  let entries: StorageEntry[];
  try {
    entries = await storage.entries();
  } catch (error) {
    await sealedSnapshot.read(0).catch(() => undefined);
    throw storageFailure(error, dir);
  }
  const sealed = await sealedSnapshot.read(entries.filter((entry) => entry.kind === 'file' && parseSegmentName(entry.name) !== undefined).length);
  let segments: SegmentFile[] = [];
  const sideFiles: SideFile[] = [];
  let newestVanished = -1;
  let hasQuarantine = false;
  let hasSalvaged = false;
  for (const entry of entries) {
    if (entry.name === SALVAGED_FILE) hasSalvaged = true;
    // One naming rule for the WAL and the CLI: anything else is never read as a segment.
    const id = parseSegmentName(entry.name);
    if (entry.kind === 'directory') {
      if (entry.name === QUARANTINE_DIR) hasQuarantine = true;
      continue;
    }
    // Gone between listing and stat (a live writer renames spares and collects segments): left
    // out, as if listed a moment later.
    const size = await sizeIfPresent(storage, entry.name);
    if (size === undefined) {
      if (id !== undefined) newestVanished = Math.max(newestVanished, id);
      continue;
    }
    if (id !== undefined && entry.kind === 'file') {
      segments.push({ id, name: entry.name, path: join(absolute, entry.name), size });
    } else {
      sideFiles.push({ name: entry.name, size });
    }
  }
  // The storage's listing leaves the lock's own files out; the lock file is shown all the same.
  const lockSize = await sizeIfPresent(storage, LOCK_FILE);
  if (lockSize !== undefined) sideFiles.push({ name: LOCK_FILE, size: lockSize });
  if (segments.length === 0 && !hasQuarantine && !sideFiles.some((file) => file.name === LOCK_FILE)) {
    throw new NoriCliError('ERR_NOT_A_WAL', `${dir}: not a WAL directory (no NNNNNN.wal segment files)`);
  }
  // GC deletes the oldest segments first: older ones than a vanished segment are gone too (or
  // about to be), so the log starts after it.
  segments = segments.filter((segment) => segment.id > newestVanished).sort((a, b) => a.id - b.id);
  sideFiles.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const quarantine = hasQuarantine ? await listQuarantine(storage) : [];
  const lock = sideFiles.some((file) => file.name === LOCK_FILE) ? await readLockHolder(absolute) : undefined;
  const salvaged = hasSalvaged ? await readSalvaged(absolute) : [];
  const ignored = sideFiles.filter((file) => file.name.endsWith(SEGMENT_SUFFIX));
  return { dir: absolute, segments, sideFiles, ignored, quarantine, lock, salvaged, sealed };
}

/**
 * Who holds the writer lock of `dir` (through `@nori/storage`'s `readLock()`, which never
 * locks), or `undefined` if nobody does.
 */
export async function readLockHolder(dir: string): Promise<LockHolder | undefined> {
  let info: LockInfo | undefined;
  try {
    info = await new NodeFileStorage(dir).readLock();
  } catch (error) {
    throw fsError(error, join(dir, LOCK_FILE));
  }
  if (info === undefined) return undefined;
  return { ...info, stale: isStale(info) };
}

/**
 * Same rule as the storage lock: the holder is provably gone when it ran on this host and the
 * machine rebooted since, or its pid is not running, or that pid now belongs to a newer process.
 */
function isStale(info: LockInfo): boolean | undefined {
  if (info.hostname !== hostname() || !Number.isSafeInteger(info.pid) || info.pid <= 0) return undefined;
  const boot = readProc('/proc/sys/kernel/random/boot_id')?.trim();
  if (info.bootId !== undefined && boot !== undefined && boot !== '' && info.bootId !== boot) return true;
  try {
    process.kill(info.pid, 0);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return true;
    if (code !== 'EPERM') return undefined;
  }
  if (info.startTime !== undefined) {
    const stat = readProc(`/proc/${info.pid}/stat`);
    // Field 22 (start time); field 2 (comm) is parenthesised and may contain spaces.
    const startTime = stat?.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    if (startTime !== undefined && startTime !== info.startTime) return true;
  }
  return false;
}

function readProc(path: string): string | undefined {
  try {
    // Not `import ... from 'node:fs'`: that ESM facade loads Node's streams stack (cold start).
    return process.getBuiltinModule('node:fs').readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

async function listQuarantine(storage: NodeFileStorage): Promise<SideFile[]> {
  const out: SideFile[] = [];
  const walk = async (relative: string): Promise<void> => {
    let entries: StorageEntry[];
    try {
      entries = await storage.entries(relative);
    } catch (error) {
      throw storageFailure(error, join(storage.root, relative));
    }
    for (const entry of entries) {
      const name = `${relative}/${entry.name}`;
      if (entry.kind === 'directory') await walk(name);
      else out.push({ name, size: await fileSize(storage, name) });
    }
  };
  await walk(QUARANTINE_DIR);
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Length of `name` (links not followed), or `undefined` when it is gone. */
async function sizeIfPresent(storage: NodeFileStorage, name: string): Promise<number | undefined> {
  try {
    return (await storage.stat(name)).size;
  } catch (error) {
    if (isStorageError(error, 'ERR_NOT_FOUND')) return undefined;
    throw storageFailure(error, join(storage.root, name));
  }
}

async function fileSize(storage: NodeFileStorage, name: string): Promise<number> {
  try {
    return (await storage.stat(name)).size;
  } catch (error) {
    throw storageFailure(error, join(storage.root, name));
  }
}
