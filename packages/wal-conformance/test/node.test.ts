import { NodeFileStorage } from '@nori/storage';
import { tempDir } from '@nori/test-support';
import { runWalConformance } from '../src/index.js';

runWalConformance('NodeFileStorage', async () => {
  const temp = await tempDir('nori-wal-conformance-');
  return { storage: new NodeFileStorage(temp.dir), cleanup: temp.cleanup };
});

// Flushes on the calling thread: every promise the WAL awaits around a flush is already settled.
runWalConformance("NodeFileStorage (syncCalls: 'inline', sparse preallocation)", async () => {
  const temp = await tempDir('nori-wal-conformance-');
  return { storage: new NodeFileStorage(temp.dir, { syncCalls: 'inline', preallocate: 'sparse' }), cleanup: temp.cleanup };
});
