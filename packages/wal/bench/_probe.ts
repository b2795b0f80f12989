import { pickTempLocation, withTempDir } from './lib/paths.js';
import { KiB, makeRecords } from './lib/records.js';
import { fillLog, openWal } from './lib/wal.js';
const inputs = makeRecords(1000, KiB).map((r) => r.input);
await withTempDir(pickTempLocation().parent, async (dir) => {
  const { wal } = await openWal(dir, { fsync: 'os' });
  await fillLog(wal, inputs, 50_000_000, 1048);
  await wal.close();
  for (const pre of [true, false, true, false]) {
    const t = performance.now();
    const { wal, recovery } = await openWal(dir, { preallocate: pre });
    const ms = performance.now() - t;
    const t2 = performance.now(); await wal.close(); const c = performance.now() - t2;
    console.log({ pre, ms: ms.toFixed(1), scanMs: recovery.durationMs.toFixed(1), records: recovery.records, tail: recovery.tail, scanned: recovery.bytesScanned, closeMs: c.toFixed(1) });
  }
});
