/**
 * Child process of the SIGKILL crash test (see kill-harness.ts). Loads the WAL, then waits for
 * `go <firstId> <seed> <maxSegmentSize> <policy>` on stdin, opens the WAL directory argv[2]
 * with that fsync policy ('always', 'os' or 'batch': an acknowledged append survives a process
 * crash under all three) and appends until it is killed, several appends in flight.
 *
 * Events go to the file argv[3], one line each, with a synchronous write(2) before (submissions)
 * or after (acknowledgements) the fact they report, so they are in the kernel when the process
 * dies; a pipe would not do (a full pipe makes Node queue writes in memory, lost at SIGKILL):
 *   ready <segment> <offset>     the WAL is open (recovery done), next append position
 *   s <id>                       append(record id) is about to be called
 *   b <first> <count>            appendBatch(ids first..first+count-1) is about to be called
 *   a <id> <segment> <offset>    record id was acknowledged
 *   gc <id>                      deleteSegmentsBefore(position of acknowledged record id) is called
 *   e <message>                  an unexpected error (the parent fails the round)
 * `ready` is also printed on stdout, to tell the parent when to start the kill clock.
 */
import { openSync, writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Wal, type Position } from '../../src/index.js';
import { Rng } from '@nori/test-support';
import { KILL_PROFILE, recordFor } from './records.js';

const dir = process.argv[2];
const eventsPath = process.argv[3];
if (dir === undefined || eventsPath === undefined) throw new Error('usage: kill-child.ts <wal dir> <events file>');
const events = openSync(eventsPath, 'a');

function out(line: string): void {
  writeSync(events, `${line}\n`);
}

// Never outlive a parent that forgot us.
setTimeout(() => process.exit(3), 60_000).unref();

const lines = createInterface({ input: process.stdin });
const go = await new Promise<string>((resolve) => lines.once('line', resolve));
const [word, firstText, seedText, segmentText, policyText] = go.split(' ');
if (word !== 'go') throw new Error(`expected "go", got ${go}`);
let nextId = Number(firstText);
const rng = new Rng(Number(seedText));
const maxSegmentSize = Number(segmentText);

const policy = policyText === 'os' || policyText === 'batch' ? policyText : 'always';
const { wal, recovery } = await Wal.open({ dir, fsync: policy, maxSegmentSize });
out(`ready ${recovery.lastPosition.segmentId} ${recovery.lastPosition.offset}`);
process.stdout.write('ready\n');

const acked: { id: number; position: Position }[] = [];

async function worker(): Promise<void> {
  for (;;) {
    const roll = rng.next();
    if (roll < 0.03 && acked.length > 20) {
      const target = acked[rng.int(acked.length - 10)] as { id: number; position: Position };
      out(`gc ${target.id}`);
      await wal.deleteSegmentsBefore(target.position);
    } else if (roll < 0.25) {
      const count = rng.range(2, 4);
      const first = nextId;
      nextId += count;
      const ids = Array.from({ length: count }, (_, i) => first + i);
      out(`b ${first} ${count}`);
      const positions = (await wal.appendBatch(ids.map((id) => recordFor(id, KILL_PROFILE)))).map((r) => r.position);
      out(positions.map((p, i) => `a ${first + i} ${p.segmentId} ${p.offset}`).join('\n'));
      positions.forEach((position, i) => acked.push({ id: first + i, position }));
    } else {
      const id = nextId++;
      out(`s ${id}`);
      const position = (await wal.append(recordFor(id, KILL_PROFILE))).position;
      out(`a ${id} ${position.segmentId} ${position.offset}`);
      acked.push({ id, position });
    }
    if (acked.length > 4000) acked.splice(0, 2000);
  }
}

const workers = rng.range(1, 6);
await Promise.all(Array.from({ length: workers }, () => worker())).catch((error: unknown) => {
  out(`e ${error instanceof Error ? `${String((error as { code?: unknown }).code)} ${error.message}` : String(error)}`.replace(/\n/g, ' '));
  process.exit(2);
});
