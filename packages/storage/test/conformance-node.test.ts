import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runStorageConformance } from '../src/conformance.js';
import { NodeFileStorage } from '../src/index.js';

/** The harness's behind-the-back helpers: links and FIFOs made with the OS, as a user would. */
function foreignEntries(root: string): { makeSymlink(name: string, target: string): void; makeFifo?(name: string): void } {
  return {
    makeSymlink: (name, target) => fs.symlinkSync(target, path.join(root, name)),
    ...(process.platform === 'win32' ? {} : { makeFifo: (name: string) => execFileSync('mkfifo', [path.join(root, name)]) }),
  };
}

runStorageConformance(
  'NodeFileStorage',
  () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'nori-storage-'));
    return {
      storage: new NodeFileStorage(root),
      reopen: () => new NodeFileStorage(root),
      restart: () => new NodeFileStorage(root),
      ...foreignEntries(root),
      cleanup: () => fs.rmSync(root, { recursive: true, force: true }),
    };
  },
  { links: process.platform !== 'win32' },
);

runStorageConformance('NodeFileStorage (sparse preallocation, no automatic directory sync, flushes inline)', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'nori-storage-'));
  const make = (): NodeFileStorage => new NodeFileStorage(root, { preallocate: 'sparse', syncDirOnChange: false, syncCalls: 'inline' });
  return { storage: make(), reopen: make, restart: make, cleanup: () => fs.rmSync(root, { recursive: true, force: true }) };
});

runStorageConformance(
  'NodeFileStorage (metadata calls on the thread pool)',
  () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'nori-storage-'));
    const make = (): NodeFileStorage => new NodeFileStorage(root, { metadata: 'thread-pool' });
    return { storage: make(), reopen: make, restart: make, ...foreignEntries(root), cleanup: () => fs.rmSync(root, { recursive: true, force: true }) };
  },
  { links: process.platform !== 'win32' },
);
