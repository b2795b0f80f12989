import { closeSync, openSync, readSync, writeFileSync, unlinkSync } from 'node:fs';
import { open } from 'node:fs/promises';
const path = '/tmp/nori-zero-probe.bin';
writeFileSync(path, Buffer.alloc(127 << 20));
const zero = Buffer.alloc(8 << 20);
for (let rep = 0; rep < 4; rep++) {
  for (const chunk of [1 << 20, 8 << 20]) {
    const buf = Buffer.allocUnsafe(chunk);
    let t = performance.now();
    const fd = openSync(path, 'r');
    for (let pos = 0, n = 0; (n = readSync(fd, buf, 0, chunk, pos)) > 0; pos += n) if (Buffer.compare(buf.subarray(0, n), zero.subarray(0, n)) !== 0) throw 1;
    closeSync(fd);
    const syncMs = performance.now() - t;
    t = performance.now();
    const fh = await open(path, 'r');
    for (let pos = 0, n = 0; (n = (await fh.read(buf, 0, chunk, pos)).bytesRead) > 0; pos += n) if (Buffer.compare(buf.subarray(0, n), zero.subarray(0, n)) !== 0) throw 1;
    await fh.close();
    console.log(`chunk ${chunk >> 20} MiB: readSync ${syncMs.toFixed(1)} ms, async ${(performance.now() - t).toFixed(1)} ms`);
  }
}
unlinkSync(path);
