// Child process for the recovery memory probe (needs --expose-gc). Prints one JSON MemoryPeak.
// Usage: recover-memory.ts <wal|raw> <dir> <warmDir> <maxSegmentSize>
//   wal: peak memory of Wal.open (recovery) of the log in <dir>
//   raw: peak memory of the baseline scan: fs.readSync 1 MiB chunks + crc32c over the segment files
// <warmDir> holds a tiny log that is recovered (or scanned) first, so code compilation is not
// counted as recovery memory.
import { closeSync, openSync, readdirSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { crc32c } from '@nori/codec';
import type { Wal } from '@nori/wal';
import { measurePeak } from '../lib/memory.js';
import { openWal } from '../lib/wal.js';

const [mode, dir, warmDir, segmentArg] = process.argv.slice(2);
if ((mode !== 'wal' && mode !== 'raw') || !dir || !warmDir || !segmentArg) {
  throw new Error('usage: recover-memory.ts <wal|raw> <dir> <warmDir> <maxSegmentSize>');
}
const maxSegmentSize = Number(segmentArg);

async function recover(logDir: string): Promise<void> {
  const { wal } = await openWal(logDir, { maxSegmentSize });
  await wal.close();
}

function scan(logDir: string): void {
  const buffer = Buffer.allocUnsafe(1 << 20);
  let crc = 0;
  for (const name of readdirSync(logDir)
    .filter((n) => n.endsWith('.wal'))
    .sort()) {
    const fd = openSync(join(logDir, name), 'r');
    try {
      for (let position = 0, n = 0; (n = readSync(fd, buffer, 0, buffer.length, position)) > 0; position += n) {
        crc = crc32c(buffer.subarray(0, n), crc);
      }
    } finally {
      closeSync(fd);
    }
  }
}

if (mode === 'wal') {
  await recover(warmDir);
  let opened: Wal | undefined;
  const peak = await measurePeak(async () => {
    opened = (await openWal(dir, { maxSegmentSize })).wal;
  });
  await opened?.close();
  console.log(JSON.stringify(peak));
} else {
  scan(warmDir);
  const peak = await measurePeak(async () => scan(dir));
  console.log(JSON.stringify(peak));
}
