// Whole-process benchmarks (start, open, work, close), beside the in-process ones: users run CLIs
// and short-lived workers, which pay module loading, open and close on every run. Each run is a
// fresh `node` on the BUILT packages (dist/), alternated with a raw-fs process doing the same I/O
// in the same run; figures are medians of wall time, spawn to exit.
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeRecord } from '@nori/codec';
import type { BenchContext } from './lib/context.js';
import { withTempDir } from './lib/paths.js';
import { CODEC_DIST, importFrom, timeProcesses, WAL_DIST } from './lib/process-run.js';
import { KiB, MiB } from './lib/records.js';
import { writeLog } from './lib/recovery-log.js';
import { describe, toResult, type BenchResult } from './lib/result.js';

const APPEND_RECORDS = 1000;
const RECOVERY_BYTES = 50e6;
const SEGMENT_BYTES = 128 * MiB;
/** Encoded size of one appended record (key `kNNNN`, 1 KiB value): what the raw process writes per record. */
const RAW_RECORD_BYTES = encodeRecord({ key: 'k0000', value: new Uint8Array(KiB) }).length;
/**
 * Builtins without the ESM facade of node:fs (whose `promises` export loads the stream modules):
 * the raw processes must not pay more than they need to.
 */
const FS = `const fs = process.getBuiltinModule('node:fs');`;

/** Appends `count` 1 KiB records one by one (fsync 'os'), then closes (flush + fsync). */
const APPEND_SCRIPT = [
  importFrom('Wal', WAL_DIST),
  `const [dir, count] = process.argv.slice(2);`,
  `const value = new Uint8Array(${KiB}).fill(97);`,
  `const { wal } = await Wal.open({ dir, fsync: 'os' });`,
  `for (let i = 0; i < Number(count); i++) await wal.append({ key: \`k\${String(i).padStart(4, '0')}\`, value });`,
  `await wal.close();`,
].join('\n');

/** The same bytes with fs.writeSync per record, one fdatasync, close. */
const RAW_APPEND_SCRIPT = [
  FS,
  `const [dir, count, size] = process.argv.slice(2);`,
  `fs.mkdirSync(dir, { recursive: true });`,
  `const fd = fs.openSync(dir + '/000000.wal', 'w');`,
  `const record = new Uint8Array(Number(size)).fill(97);`,
  `for (let i = 0, position = 0; i < Number(count); i++, position += record.length) fs.writeSync(fd, record, 0, record.length, position);`,
  `fs.fdatasyncSync(fd);`,
  `fs.closeSync(fd);`,
].join('\n');

/** Opens (recovers) the log in `dir` and closes it. */
const RECOVER_SCRIPT = [importFrom('Wal', WAL_DIST), `const { wal } = await Wal.open({ dir: process.argv[2] });`, `await wal.close();`].join('\n');

/** Reads the data bytes of the given `path:bytes` segments in 1 MiB chunks through the codec's crc32c. */
const RAW_SCAN_SCRIPT = [
  importFrom('crc32c', CODEC_DIST),
  FS,
  `const buffer = Buffer.allocUnsafe(${MiB});`,
  `let crc = 0;`,
  `for (const arg of process.argv.slice(2)) {`,
  `  const split = arg.lastIndexOf(':');`,
  `  const [path, bytes] = [arg.slice(0, split), Number(arg.slice(split + 1))];`,
  `  const fd = fs.openSync(path, 'r');`,
  `  for (let position = 0, n = 0; position < bytes && (n = fs.readSync(fd, buffer, 0, Math.min(buffer.length, bytes - position), position)) > 0; position += n) {`,
  `    crc = crc32c(buffer.subarray(0, n), crc);`,
  `  }`,
  `  fs.closeSync(fd);`,
  `}`,
  `if (crc === 0.5) console.log(crc);`,
].join('\n');

/** Append and recovery as whole processes, each beside a raw-fs process doing the same I/O. */
export async function wholeProcessBenchmarks(ctx: BenchContext): Promise<BenchResult[]> {
  if (!existsSync(WAL_DIST)) throw new Error(`${WAL_DIST} is missing: run pnpm build first`);
  const results: BenchResult[] = [];
  await withTempDir(ctx.tempParent, async (tmp) => {
    const scripts = { append: APPEND_SCRIPT, rawAppend: RAW_APPEND_SCRIPT, recover: RECOVER_SCRIPT, rawScan: RAW_SCAN_SCRIPT };
    const files: Record<keyof typeof scripts, string> = { append: '', rawAppend: '', recover: '', rawScan: '' };
    for (const [name, text] of Object.entries(scripts) as [keyof typeof scripts, string][]) {
      files[name] = join(tmp, `${name}.mjs`);
      await writeFile(files[name], text);
    }
    let run = 0;
    const fresh = (): string => join(tmp, `append-${run++}`);
    const count = String(APPEND_RECORDS);
    const append = await timeProcesses(
      ctx,
      () => [files.append, fresh(), count],
      () => [files.rawAppend, fresh(), count, String(RAW_RECORD_BYTES)],
    );
    results.push(
      toResult({
        name: `whole process: import @nori/wal, open a new log, append ${APPEND_RECORDS} x 1 KiB (os), close (dist)`,
        unit: 'ms',
        runs: append.ours.map((r) => r.ms),
        baselineName: `node: fs.writeSync ${APPEND_RECORDS} x ${RAW_RECORD_BYTES} B + fdatasync`,
        baselineRuns: append.baseline.map((r) => r.ms),
        lowerIsBetter: true,
      }),
    );
    ctx.log(describe(results.at(-1)!));

    const logDir = join(tmp, 'recovery-log');
    const log = await writeLog(logDir, RECOVERY_BYTES, SEGMENT_BYTES);
    const segments = log.files.map((f) => `${f.path}:${f.dataBytes}`);
    const recovery = await timeProcesses(
      ctx,
      () => [files.recover, logDir],
      () => [files.rawScan, ...segments],
    );
    results.push(
      toResult({
        name: `whole process: import @nori/wal, open (recover) a ${RECOVERY_BYTES / 1e6} MB log of 1 KiB records, close (dist)`,
        unit: 'ms',
        runs: recovery.ours.map((r) => r.ms),
        baselineName: 'node: fs.readSync 1 MiB chunks + crc32c (@nori/codec dist) of the same bytes',
        baselineRuns: recovery.baseline.map((r) => r.ms),
        lowerIsBetter: true,
      }),
    );
    ctx.log(describe(results.at(-1)!));
  });
  return results;
}
