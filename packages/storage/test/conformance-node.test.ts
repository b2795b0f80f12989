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
  const root = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'nori-storage-')), 'not', 'yet', 'created');
  return {
    storage: new NodeFileStorage(root, { preallocate: 'sparse', syncDirOnChange: false }),
    reopen: () => new NodeFileStorage(root),
    restart: () => new NodeFileStorage(root),
    cleanup: () => fs.rmSync(path.dirname(path.dirname(path.dirname(root))), { recursive: true, force: true }),
  };
});
