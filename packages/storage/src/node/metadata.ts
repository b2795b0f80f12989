import type { Dirent, Stats } from 'node:fs';
import { fs } from './node-fs.js';
import { inline, pooled, type CallMode } from './call-modes.js';

/** The metadata system calls of the Node backend, each as a promise whatever the mode. */
export interface MetadataCalls {
  open(path: string, flags: number, mode: number): Promise<number>;
  close(fd: number): Promise<void>;
  lstat(path: string): Promise<Stats>;
  stat(path: string): Promise<Stats>;
  readdir(path: string): Promise<Dirent[]>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  rmdir(path: string): Promise<void>;
  /** `mkdir -p`: the first directory created, undefined when it existed. */
  mkdir(path: string): Promise<string | undefined>;
}

/**
 * Metadata calls on the calling thread. On a local file system they are answered from the
 * kernel's dentry and inode caches in 3-10 us, while a thread-pool round trip costs 40-85 us on
 * the 2-core development machine (more when it is loaded): recovery opens and closes every
 * segment, and `Wal.open` makes a dozen such calls.
 */
const INLINE: MetadataCalls = {
  open: inline((path: string, flags: number, mode: number) => fs.openSync(path, flags, mode)),
  close: inline((fd: number) => fs.closeSync(fd)),
  lstat: inline((path: string) => fs.lstatSync(path)),
  stat: inline((path: string) => fs.statSync(path)),
  readdir: inline((path: string) => fs.readdirSync(path, { withFileTypes: true })),
  rename: inline((from: string, to: string) => fs.renameSync(from, to)),
  unlink: inline((path: string) => fs.unlinkSync(path)),
  rmdir: inline((path: string) => fs.rmdirSync(path)),
  mkdir: inline((path: string) => fs.mkdirSync(path, { recursive: true })),
};

/**
 * Metadata calls on the thread pool, for file systems where one may wait on a server (NFS,
 * FUSE): the event loop never blocks on them. Callback APIs, not `fs.promises` (whose first use
 * loads Node's streams stack, ~5 ms of a process's start).
 */
const THREAD_POOL: MetadataCalls = {
  open: pooled<[string, number, number], number>((path, flags, mode, done) => fs.open(path, flags, mode, done)),
  close: pooled<[number], void>((fd, done) => fs.close(fd, (error) => done(error, undefined))),
  lstat: pooled<[string], Stats>((path, done) => fs.lstat(path, done)),
  stat: pooled<[string], Stats>((path, done) => fs.stat(path, done)),
  readdir: pooled<[string], Dirent[]>((path, done) => fs.readdir(path, { withFileTypes: true }, done)),
  rename: pooled<[string, string], void>((from, to, done) => fs.rename(from, to, (error) => done(error, undefined))),
  unlink: pooled<[string], void>((path, done) => fs.unlink(path, (error) => done(error, undefined))),
  rmdir: pooled<[string], void>((path, done) => fs.rmdir(path, (error) => done(error, undefined))),
  mkdir: pooled<[string], string | undefined>((path, done) => fs.mkdir(path, { recursive: true }, done)),
};

/** The calls of `mode`. */
export function metadataCalls(mode: CallMode): MetadataCalls {
  return mode === 'inline' ? INLINE : THREAD_POOL;
}
