// Child process for the crash-tail recovery benchmark: writes `records` 1 KiB records with
// fsync 'always' into a fresh WAL at `dir` (default 128 MiB preallocated segment), then dies by
// SIGKILL without closing, leaving the zero-filled preallocated tail a real crash leaves.
// Usage: crash-writer.ts <dir> <records>
import { makeRecords, KiB } from '../lib/records.js';
import { openWal } from '../lib/wal.js';

const [dir, countArg] = process.argv.slice(2);
if (!dir || !countArg) throw new Error('usage: crash-writer.ts <dir> <records>');
const count = Number(countArg);
const batch = makeRecords(100, KiB).map((r) => r.input);
const { wal } = await openWal(dir, { fsync: 'always' });
for (let written = 0; written < count; written += batch.length) {
  await wal.appendBatch(batch.slice(0, Math.min(batch.length, count - written)));
}
await wal.sync();
process.kill(process.pid, 'SIGKILL');
