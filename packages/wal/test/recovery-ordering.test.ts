import { encodeRecord } from '@nori/codec';
import { MemoryStorage, type Storage } from '@nori/storage';
import { describe, expect, it } from 'vitest';
import { Wal } from '../src/index.js';
import { BATCH_INTENT_FILE, encodeIntentEntry } from '../src/batch-intent.js';
import { collect, indexOf, record } from '@nori/test-support';
import { flipByte, overwrite } from './storage-helpers.js';

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

/** A view of `mem` whose `syncDir` calls run `onSyncDir(n)` first (n counts from 1). */
function watchSyncDir(mem: MemoryStorage, onSyncDir: (n: number) => void): Storage {
  let calls = 0;
  return new Proxy(mem, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (prop === 'syncDir') {
        return async (dir?: string) => {
          onSyncDir(++calls);
          return target.syncDir(dir);
        };
      }
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

describe('recovery: ordering of directory syncs and rollbacks', () => {
  it('quarantined bytes are durable in quarantine/ before they leave the segment (power loss at every directory sync)', async () => {
    for (let seed = 1; seed <= 12; seed++) {
      for (let crashAt = 1; crashAt <= 3; crashAt++) {
        const mem = new MemoryStorage({ seed });
        const { wal } = await Wal.open({ storage: mem, fsync: 'always', preallocate: false });
        const positions = [];
        for (let i = 0; i < 20; i++) positions.push((await wal.append(record(i))).position);
        await wal.close();
        await flipByte(mem, '000000.wal', (positions[5]?.offset ?? 0) + 20);

        const storage = watchSyncDir(mem, (n) => {
          if (n === crashAt) {
            mem.crash();
            throw new Error('power loss');
          }
        });
        await Wal.open({ storage, preallocate: false }).then(
          ({ wal: w }) => w.close(),
          () => undefined,
        );
        // Whatever happened, records 6..19 are in the segment or in a quarantine copy.
        const { wal: reopened, recovery } = await Wal.open({ storage: mem, preallocate: false });
        const inLog = (await collect(reopened.read())).map((e) => indexOf(e.key));
        await reopened.close();
        const copies = (await mem.exists('quarantine')) ? await mem.list('quarantine') : [];
        const context = `seed ${seed}, crash at directory sync ${crashAt}, log ${inLog.join(',')}, quarantine ${copies.join(',')}`;
        expect(inLog.slice(0, 5), context).toEqual(range(0, 5));
        if (inLog.length < 20) {
          expect(copies.length + recovery.quarantined.length, context).toBeGreaterThan(0);
          const copied = copies.find((name) => name.startsWith('000000.wal.at-'));
          expect(copied, context).toBeDefined();
        }
      }
    }
  });

  it('a segment created just before a crash is made durable at the next open before anything is acknowledged', async () => {
    for (let seed = 1; seed <= 20; seed++) {
      const mem = new MemoryStorage({ seed });
      // The crashed process: created 000001.wal, never synced the directory.
      const { wal } = await Wal.open({ storage: mem, fsync: 'always', preallocate: false, maxSegmentSize: 8192 });
      await wal.append({ key: 'a', value: 'x'.repeat(5000) });
      await wal.close();
      const created = await mem.open('000001.wal', { create: true });
      await created.close();
      // The next process reuses 000001.wal as its active segment and acknowledges a durable append.
      const { wal: next } = await Wal.open({ storage: mem, fsync: 'always', preallocate: false, maxSegmentSize: 8192 });
      const position = (await next.append({ key: 'c', value: 'acked' })).position;
      expect(position.segmentId).toBe(1);
      mem.crash();
      const { wal: after } = await Wal.open({ storage: mem, preallocate: false, maxSegmentSize: 8192 });
      const keys = (await collect(after.read())).map((e) => new TextDecoder().decode(e.key));
      await after.close();
      expect(keys, `seed ${seed}`).toEqual(['a', 'c']);
    }
  });

  it('a partial batch in the segment before an empty last one is rolled back (crash mid-rotation)', async () => {
    const mem = new MemoryStorage({ seed: 7 });
    const first = encodeRecord({ key: 'd0', value: 'x' });
    const batch = Array.from({ length: 10 }, (_, i) => encodeRecord({ key: `b${i}`, value: 'v'.repeat(300) }));
    const batchBytes = batch.reduce((n, r) => n + r.length, 0);
    // Segment 0: d0, then only 4 of the batch's 10 records reached the disk; segment 1 was
    // already created (empty) by the rotation that raced the fsync of segment 0.
    const segment = await mem.open('000000.wal', { create: true });
    segment.writevSync([first, ...batch.slice(0, 4)], 0);
    await segment.datasync();
    await segment.close();
    const empty = await mem.open('000001.wal', { create: true });
    await empty.close();
    const intent = await mem.open(BATCH_INTENT_FILE, { create: true });
    await intent.close();
    await overwrite(mem, BATCH_INTENT_FILE, 0, encodeIntentEntry([{ segmentId: 0, start: first.length, end: first.length + batchBytes }]));
    await mem.syncDir();

    const { wal, recovery } = await Wal.open({ storage: mem, preallocate: false, maxSegmentSize: 8192 });
    const keys = (await collect(wal.read())).map((e) => new TextDecoder().decode(e.key));
    await wal.close();
    expect(recovery.batchesRolledBack).toBe(1);
    expect(keys).toEqual(['d0']);
  });
});
