/**
 * Programmatic use of @nori/cli: verify a WAL directory, then print its first records.
 *
 *   node --conditions=@nori/source --import tsx examples/check-log.ts ../../testdata/golden/nori-wal-rust/torn
 */
import { describeDamage, describeTail, dumpWal, formatPosition, verifyWal } from '@nori/cli';

const dir = process.argv[2] ?? '.';

const report = await verifyWal(dir);
console.log(`${report.status}: ${report.records} records in ${report.segments} segment(s)`);
for (const damage of report.corruptions) console.log(`  corrupt ${describeDamage(damage)}`);
if (report.tail.kind !== 'clean') console.log(`  tail ${describeTail(report.tail)}`);

const decoder = new TextDecoder();
await dumpWal(
  dir,
  {
    record(record) {
      // key/value are views into the read buffer: copy them if you keep them.
      console.log(`  ${formatPosition(record.position)} ${record.tombstone ? 'DEL' : 'PUT'} ${decoder.decode(record.key)}`);
    },
  },
  { limit: 3 },
);
process.exitCode = report.exitCode;
