import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runStorageConformance } from '../src/conformance.js';
import { NodeFileStorage } from '../src/index.js';

runStorageConformance('NodeFileStorage', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'nori-storage-'));
  return {
    storage: new NodeFileStorage(root),
    reopen: () => new NodeFileStorage(root),
    restart: () => new NodeFileStorage(root),
    cleanup: () => fs.rmSync(root, { recursive: true, force: true }),
  };
});

runStorageConformance('NodeFileStorage (sparse preallocation, no automatic directory sync)', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'nori-storage-'));
  return {
    storage: new NodeFileStorage(root, { preallocate: 'sparse', syncDirOnChange: false }),
    reopen: () => new NodeFileStorage(root, { preallocate: 'sparse', syncDirOnChange: false }),
    restart: () => new NodeFileStorage(root, { preallocate: 'sparse', syncDirOnChange: false }),
    cleanup: () => fs.rmSync(root, { recursive: true, force: true }),
  };
});
