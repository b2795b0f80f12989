import { join } from 'node:path';
import { runChild } from './lib/child.js';
import { pickTempLocation, withTempDir } from './lib/paths.js';
import { openWal } from './lib/wal.js';
for (let i = 0; i < 4; i++) {
  await withTempDir(pickTempLocation().parent, async (dir) => {
    await runChild(join(import.meta.dirname, 'children', 'crash-writer.ts'), [dir, '1000'], { expectSignal: 'SIGKILL' });
    const t = performance.now();
    const { wal, recovery } = await openWal(dir);
    const ms = performance.now() - t;
    console.log({ ms: ms.toFixed(1), scanMs: recovery.durationMs.toFixed(1), tail: recovery.tail, records: recovery.records, truncated: recovery.bytesTruncated, scanned: recovery.bytesScanned, rolled: recovery.batchesRolledBack });
    await wal.close();
  });
}
