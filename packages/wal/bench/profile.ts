// Runs the WAL side of one workload in a loop, for CPU profiling (no baselines, no JSON):
//   node --cpu-prof --cpu-prof-dir=<dir> --conditions=@nori/source --import tsx bench/profile.ts <workload> [seconds] [valueBytes]
// workloads: append-os (one await append() at a time, os; valueBytes default 1024), writers-64
// (64 concurrent await append() loops, always), batch-1000 (appendBatch 1000 x 1 KiB + sync), read (256 MiB
// log), recovery (50 MB log), recovery-segments (65 segments of 1 MiB), crash-tail (Wal.open after a SIGKILLed writer, 128 MiB tail).
import { join } from 'node:path';
import { runChild } from './lib/child.js';
import { pickTempLocation, withTempDir } from './lib/paths.js';
import { KiB, MiB, makeRecord, makeRecords } from './lib/records.js';
import { fillLog, openWal } from './lib/wal.js';

const [workload, secondsArg, valueArg] = process.argv.slice(2);
const seconds = Number(secondsArg ?? 5);
const parent = pickTempLocation().parent;
const inputs = makeRecords(1000, KiB).map((r) => r.input);
const recordBytes = makeRecord(KiB).encoded.length;

async function untilDeadline(step: () => Promise<unknown>): Promise<number> {
  const deadline = performance.now() + seconds * 1000;
  let n = 0;
  while (performance.now() < deadline) {
    await step();
    n++;
  }
  return n;
}

const workloads: Record<string, (dir: string) => Promise<number>> = {
  'append-os': async (dir) => {
    const { wal } = await openWal(dir, { fsync: 'os' });
    const record = makeRecord(Number(valueArg ?? KiB)).input;
    const n = await untilDeadline(() => wal.append(record));
    await wal.close();
    return n;
  },
  'writers-64': async (dir) => {
    const { wal } = await openWal(dir, { fsync: 'always' });
    const record = inputs[0]!;
    const deadline = performance.now() + seconds * 1000;
    let n = 0;
    const writer = async (): Promise<void> => {
      while (performance.now() < deadline) {
        await wal.append(record);
        n++;
      }
    };
    await Promise.all(Array.from({ length: 64 }, writer));
    await wal.close();
    return n;
  },
  'batch-1000': async (dir) => {
    const { wal } = await openWal(dir, { fsync: 'os' });
    const n = await untilDeadline(async () => {
      await wal.appendBatch(inputs);
      await wal.sync();
    });
    await wal.close();
    return n;
  },
  read: async (dir) => {
    const { wal } = await openWal(dir, { fsync: 'os' });
    await fillLog(wal, inputs, 256 * MiB, recordBytes);
    const n = await untilDeadline(async () => {
      for await (const entry of wal.read()) void entry;
    });
    await wal.close();
    return n;
  },
  recovery: async (dir) => {
    const { wal } = await openWal(dir, { fsync: 'os' });
    await fillLog(wal, inputs, 50_000_000, recordBytes);
    await wal.close();
    return untilDeadline(async () => (await openWal(dir)).wal.close());
  },
  'recovery-segments': async (dir) => {
    const { wal } = await openWal(dir, { fsync: 'os', maxSegmentSize: MiB });
    await fillLog(wal, inputs, 65 * MiB, recordBytes);
    await wal.close();
    return untilDeadline(async () => (await openWal(dir)).wal.close());
  },
  'crash-tail': async (dir) => {
    let n = 0;
    const deadline = performance.now() + seconds * 1000;
    while (performance.now() < deadline) {
      await withTempDir(dir, async (crashDir) => {
        await runChild(join(import.meta.dirname, 'children', 'crash-writer.ts'), [crashDir, '1000'], { expectSignal: 'SIGKILL' });
        await (await openWal(crashDir)).wal.close();
      });
      n++;
    }
    return n;
  },
};

const run = workload === undefined ? undefined : workloads[workload];
if (!run) {
  console.error(`usage: profile.ts <${Object.keys(workloads).join('|')}> [seconds]`);
  process.exit(2);
}
const iterations = await withTempDir(parent, run);
console.log(`${workload}: ${iterations} iterations in ${seconds} s`);
