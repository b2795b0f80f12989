import { fs } from './node-fs.js';

/**
 * Callback-based `fs` calls on raw descriptors wrapped in promises: no FileHandle overhead, and
 * the slow calls (fsync, large reads) run on the thread pool instead of blocking the event loop.
 * `fstat` of an open descriptor is the exception: it is cheaper than the hop to the pool.
 */
export const fsAsync = {
  read(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    return new Promise((resolve, reject) => fs.read(fd, buffer, offset, length, position, (e, n) => (e ? reject(e) : resolve(n))));
  },
  writev(fd: number, buffers: readonly Uint8Array[], position: number): Promise<number> {
    return new Promise((resolve, reject) => fs.writev(fd, buffers as Uint8Array[], position, (e, n) => (e ? reject(e) : resolve(n))));
  },
  write(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    return new Promise((resolve, reject) => fs.write(fd, buffer, offset, length, position, (e, n) => (e ? reject(e) : resolve(n))));
  },
  /**
   * Size of an open file, by a synchronous `fstat`: a descriptor's attributes come from the
   * in-memory inode on a local filesystem (3-4 us), while a thread-pool round trip costs 60-110 us
   * on a loaded 2-core machine, paid per segment by recovery and readers (issue 17). A network
   * filesystem may ask its server, as it would for the reads the WAL already does synchronously.
   */
  fstatSize(fd: number): Promise<number> {
    try {
      return Promise.resolve(fs.fstatSync(fd).size);
    } catch (error) {
      return Promise.reject(error);
    }
  },
  ftruncate(fd: number, length: number): Promise<void> {
    return new Promise((resolve, reject) => fs.ftruncate(fd, length, (e) => (e ? reject(e) : resolve())));
  },
  fdatasync(fd: number): Promise<void> {
    return new Promise((resolve, reject) => fs.fdatasync(fd, (e) => (e ? reject(e) : resolve())));
  },
  fsync(fd: number): Promise<void> {
    return new Promise((resolve, reject) => fs.fsync(fd, (e) => (e ? reject(e) : resolve())));
  },
};

/** Buffers left to write after the first `written` bytes of `buffers` went out. */
export function remainingBuffers(buffers: readonly Uint8Array[], written: number): Uint8Array[] {
  const rest: Uint8Array[] = [];
  let skip = written;
  for (const buffer of buffers) {
    if (skip >= buffer.byteLength) {
      skip -= buffer.byteLength;
      continue;
    }
    rest.push(skip === 0 ? buffer : buffer.subarray(skip));
    skip = 0;
  }
  return rest;
}
