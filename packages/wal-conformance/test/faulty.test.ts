import { NodeFileStorage } from '@nori/storage';
import { tempDir } from '@nori/test-support';
import { FaultyStorage, runWalConformance } from '../src/index.js';

// The fault-injecting storage over real files: every behaviour holds through the wrapper, and
// a failed fsync fails the WAL without losing acknowledged records.
runWalConformance(
  'FaultyStorage(NodeFileStorage)',
  async () => {
    const temp = await tempDir('nori-wal-faulty-');
    const faulty = new FaultyStorage(new NodeFileStorage(temp.dir));
    return { storage: faulty.storage, failSyncs: (count: number) => faulty.failSyncs(count), cleanup: temp.cleanup };
  },
  { supports: { faults: true } },
);
