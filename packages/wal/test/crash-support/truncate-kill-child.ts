/**
 * Child process of the truncation SIGKILL test (test/crash-truncate-sigkill.test.ts). Opens the
 * WAL directory argv[2] (fsync 'always', 2 KiB segments), prints `ready`, then runs one operation
 * at a time until it is killed: appendBatch of 1-4 records (key = a fresh record id), now and then
 * truncateAfter or truncateBefore at a random index. Each event is written to the file argv[3]
 * with a synchronous write before (t/f) or after (a/T/F) the fact:
 *   a <index> <id>   record id was acknowledged with that index
 *   t <k> / T <k>    truncateAfter(k) starts / resolved
 *   f <m> / F <m>    truncateBefore(m) starts / resolved
 *   e <message>      an unexpected error
 */
import { openSync, writeSync } from 'node:fs';
import { Wal } from '../../src/index.js';
import { Rng } from '@nori/test-support';

const [dir, eventsPath, seedText, firstIdText] = process.argv.slice(2);
if (dir === undefined || eventsPath === undefined) throw new Error('usage: truncate-kill-child.ts <dir> <events> <seed> <first id>');
const events = openSync(eventsPath, 'a');
const out = (line: string): void => void writeSync(events, `${line}\n`);
setTimeout(() => process.exit(3), 60_000).unref();

const rng = new Rng(Number(seedText));
let nextId = Number(firstIdText);
const { wal } = await Wal.open({ dir, fsync: 'always', maxSegmentSize: 2048 });
process.stdout.write('ready\n');
try {
  for (;;) {
    const roll = rng.next();
    if (roll < 0.1 && wal.lastIndex >= wal.firstIndex) {
      const k = wal.firstIndex - 1 + rng.int(wal.lastIndex - wal.firstIndex + 2);
      out(`t ${k}`);
      await wal.truncateAfter(k);
      out(`T ${k}`);
    } else if (roll < 0.14 && wal.lastIndex >= wal.firstIndex) {
      const m = wal.firstIndex + rng.int(Math.min(8, wal.lastIndex - wal.firstIndex + 1));
      out(`f ${m}`);
      await wal.truncateBefore(m);
      out(`F ${m}`);
    } else {
      const count = rng.range(1, 4);
      const ids = Array.from({ length: count }, () => nextId++);
      const results = await wal.appendBatch(ids.map((id) => ({ key: String(id), value: 'x'.repeat(100) })));
      out(results.map((r, i) => `a ${r.index} ${ids[i]}`).join('\n'));
    }
  }
} catch (error) {
  out(`e ${error instanceof Error ? error.message : String(error)}`);
}
