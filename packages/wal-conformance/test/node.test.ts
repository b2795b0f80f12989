import { NodeFileStorage } from '@nori/storage';
import { tempDir } from '@nori/test-support';
import { runWalConformance } from '../src/index.js';

runWalConformance('NodeFileStorage', async () => {
  const temp = await tempDir('nori-wal-conformance-');
  return { storage: new NodeFileStorage(temp.dir), cleanup: temp.cleanup };
});
