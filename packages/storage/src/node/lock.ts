import { fs } from './node-fs.js';
import path from 'node:path';
import { StorageError, fromNodeError } from '../errors.js';
import { lockNonce, randomHex } from '../random.js';
import type { LockInfo, StorageLock } from '../types.js';
import { bootId, hostName, processExists, processStartTime } from './process-identity.js';

/** File name of the writer lock in the storage root. */
export const LOCK_FILE = 'LOCK';
const TEMP_PREFIX = 'LOCK.tmp-';
const TAKEOVER_PREFIX = 'LOCK.takeover-';
const MAX_ATTEMPTS = 16;
/** Random bytes in a temporary file's name. */
const TEMP_NAME_RANDOM_BYTES = 6;
/**
 * A temporary file lives for microseconds (written, linked or renamed, unlinked, all synchronous).
 * One older than this is a leftover even if its pid runs again: pids get reused.
 */
const STALE_TEMP_AGE_MS = 60_000;

function newLockInfo(): LockInfo {
  const info: LockInfo = {
    pid: process.pid,
    hostname: hostName(),
    acquiredAt: new Date().toISOString(),
    nonce: lockNonce(),
  };
  const startTime = processStartTime(process.pid);
  if (startTime !== undefined) info.startTime = startTime;
  const boot = bootId();
  if (boot !== undefined) info.bootId = boot;
  return info;
}

/** Parses lock file content; `undefined` if it is not a lock record. */
export function parseLockInfo(raw: string): LockInfo | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.pid !== 'number' || typeof v.hostname !== 'string' || typeof v.acquiredAt !== 'string') return undefined;
  const info: LockInfo = { pid: v.pid, hostname: v.hostname, acquiredAt: v.acquiredAt };
  if (typeof v.startTime === 'string') info.startTime = v.startTime;
  if (typeof v.bootId === 'string') info.bootId = v.bootId;
  if (typeof v.nonce === 'string') info.nonce = v.nonce;
  return info;
}

/**
 * A lock is stale when its holder is provably gone: same host and (earlier boot, or pid not
 * running, or pid running with a different start time). Locks of other hosts are never stale:
 * we cannot tell. Unparsable lock files are stale (this module never writes partial files).
 */
export function isLockStale(info: LockInfo | undefined): boolean {
  if (info === undefined) return true;
  if (info.hostname !== hostName()) return false;
  const boot = bootId();
  if (info.bootId !== undefined && boot !== undefined && info.bootId !== boot) return true;
  if (!processExists(info.pid)) return true;
  if (info.startTime !== undefined) {
    const now = processStartTime(info.pid);
    if (now !== undefined && now !== info.startTime) return true;
  }
  return false;
}

function readRaw(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Random bytes of {@link threadTag}. */
const THREAD_TAG_BYTES = 4;
let thisThread: string | undefined;

/**
 * Tells this thread's temporary files from those of other threads of the same process: random,
 * drawn once per copy of this module (every worker thread loads its own). Not
 * `worker_threads.threadId`: loading node:worker_threads (and the streams it needs) costs a
 * process ~1.4 ms of start. Another copy's files in the same thread look foreign: they are left
 * to the age rule, the safe side.
 */
export function threadTag(): string {
  thisThread ??= randomHex(THREAD_TAG_BYTES);
  return thisThread;
}

/** `LOCK.tmp-<pid>-<thread>-<random>`: pid and thread tell whose leftover a temp file is. */
function tempName(): string {
  return `${TEMP_PREFIX}${String(process.pid)}-${threadTag()}-${randomHex(TEMP_NAME_RANDOM_BYTES)}`;
}

/**
 * Writes `content` to a new temporary file. On failure (a full disk fails the write after the
 * create) the file is removed again: a failed lock must leave nothing behind.
 */
function writeTemp(root: string, content: string): string {
  const file = path.join(root, tempName());
  try {
    fs.writeFileSync(file, content, { flag: 'wx', mode: 0o644 });
  } catch (error) {
    // EEXIST: the name (48 random bits) is someone else's; anything else: the file is ours.
    if ((error as { code?: string }).code !== 'EEXIST') unlinkQuietly(file);
    throw error;
  }
  return file;
}

function unlinkQuietly(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch {
    // Best effort: a leftover is cleaned up by the next successful acquisition.
  }
}

const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

/**
 * Creates `target` with `content` only if it does not exist: all-or-nothing via `link()`, or, on
 * filesystems without hard links, `O_EXCL` create + write (a writer killed in between leaves an
 * unparsable file, which counts as stale).
 */
function publishExclusive(root: string, target: string, content: string): boolean {
  const temp = writeTemp(root, content);
  try {
    fs.linkSync(temp, target);
    return true;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'EEXIST') return false;
    if (code === undefined || !NO_HARD_LINKS.has(code)) throw error;
  } finally {
    unlinkQuietly(temp);
  }
  try {
    fs.writeFileSync(target, content, { flag: 'wx', mode: 0o644 });
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === 'EEXIST') return false;
    throw error;
  }
}

function keyOf(raw: string): string {
  const info = parseLockInfo(raw);
  // node:crypto on first use: only a takeover of an unparsable lock file gets here.
  return info?.nonce ?? process.getBuiltinModule('node:crypto').createHash('sha256').update(raw).digest('hex').slice(0, 32);
}

/**
 * Replaces the stale `target` (whose content was observed as `observed`) by `content`, racing
 * safely with other contenders: only the one that exclusively creates `LOCK.takeover-<key>` for
 * that observed content may replace it, and it re-checks the content before the atomic rename.
 * A takeover marker left by a killed contender is itself stale and is taken over recursively.
 */
function takeOver(root: string, target: string, observed: string, content: string, depth: number): boolean {
  if (depth > 8) return false;
  const marker = path.join(root, TAKEOVER_PREFIX + keyOf(observed));
  const markerContent = JSON.stringify(newLockInfo());
  if (!publishExclusive(root, marker, markerContent)) {
    const markerObserved = readRaw(marker);
    if (markerObserved === undefined || !isLockStale(parseLockInfo(markerObserved))) return false;
    if (!takeOver(root, marker, markerObserved, markerContent, depth + 1)) return false;
  }
  try {
    if (readRaw(target) !== observed) return false;
    const temp = writeTemp(root, content);
    try {
      fs.renameSync(temp, target);
    } catch (error) {
      unlinkQuietly(temp);
      throw error;
    }
    return true;
  } finally {
    if (depth === 0) unlinkQuietly(marker);
  }
}

/**
 * A temporary file nobody will use any more: its process is gone, it is this thread's own (every
 * acquisition here is synchronous, so none is in flight), or it is older than any acquisition.
 */
function isStaleTemp(file: string, name: string): boolean {
  // `<pid>-<thread>-<random>`; files of older versions have no thread part.
  const parts = name.slice(TEMP_PREFIX.length).split('-');
  const pid = Number(parts[0]);
  if (!processExists(pid)) return true;
  if (pid === process.pid && parts.length === 3 && parts[1] === threadTag()) return true;
  try {
    return Date.now() - fs.lstatSync(file).mtimeMs > STALE_TEMP_AGE_MS;
  } catch {
    return false;
  }
}

function cleanStaleTemps(root: string, names: readonly string[]): void {
  for (const name of names) {
    if (name.startsWith(TEMP_PREFIX) && isStaleTemp(path.join(root, name), name)) unlinkQuietly(path.join(root, name));
  }
}

function readdirQuietly(root: string): string[] {
  try {
    return fs.readdirSync(root);
  } catch {
    return [];
  }
}

/** After an acquisition: every takeover marker is moot (we hold the lock), stale temps go too. */
function cleanLeftovers(root: string): void {
  const names = readdirQuietly(root);
  for (const name of names) {
    if (name.startsWith(TAKEOVER_PREFIX)) unlinkQuietly(path.join(root, name));
  }
  cleanStaleTemps(root, names);
}

/** The writer lock of a {@link NodeFileStorage}. */
class NodeLock implements StorageLock {
  readonly info: LockInfo;
  readonly #file: string;
  #released = false;

  constructor(file: string, info: LockInfo) {
    this.#file = file;
    this.info = info;
  }

  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    const raw = readRaw(this.#file);
    if (raw !== undefined && parseLockInfo(raw)?.nonce === this.info.nonce) {
      try {
        fs.unlinkSync(this.#file);
      } catch (error) {
        if ((error as { code?: string }).code !== 'ENOENT') throw fromNodeError(error, 'unlink', LOCK_FILE);
      }
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.release();
  }
}

/** Takes the lock file in `root` (which must exist); throws `ERR_LOCKED` if it is held. */
export function acquireLock(root: string): StorageLock {
  const file = path.join(root, LOCK_FILE);
  let holder: LockInfo | undefined;
  // Leftovers of failed attempts (e.g. on a full disk) go first: they may hold the last free blocks.
  cleanStaleTemps(root, readdirQuietly(root));
  try {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const info = newLockInfo();
      const content = JSON.stringify(info);
      if (publishExclusive(root, file, content)) {
        cleanLeftovers(root);
        return new NodeLock(file, info);
      }
      const observed = readRaw(file);
      if (observed === undefined) continue;
      holder = parseLockInfo(observed);
      if (!isLockStale(holder)) break;
      if (takeOver(root, file, observed, content, 0)) {
        cleanLeftovers(root);
        return new NodeLock(file, info);
      }
    }
  } catch (error) {
    throw fromNodeError(error, 'lock', LOCK_FILE);
  }
  const who = holder === undefined ? 'another process' : `pid ${String(holder.pid)} on ${holder.hostname} since ${holder.acquiredAt}`;
  throw new StorageError('ERR_LOCKED', `${root} is locked by ${who}`, { syscall: 'lock', path: LOCK_FILE });
}

/** Reads the lock file in `root` without taking it. */
export function readLockInfo(root: string): LockInfo | undefined {
  try {
    const raw = readRaw(path.join(root, LOCK_FILE));
    return raw === undefined ? undefined : parseLockInfo(raw);
  } catch (error) {
    throw fromNodeError(error, 'readLock', LOCK_FILE);
  }
}
