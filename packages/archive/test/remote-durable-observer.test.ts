import { MemoryStorage } from '@nori/storage';
import { describe, expect, it } from 'vitest';
import { Archiver, MemoryObjectStore, type RemoteDurableEvent } from '../src/index.js';
import { openWal, testOptions } from './archiver-support.js';

describe('Archiver: onRemoteDurable', () => {
  it('reports every remote-durable call once it settles, with its records and outcome', async () => {
    const events: RemoteDurableEvent[] = [];
    const wal = await openWal(new MemoryStorage(), { fsync: 'os', maxSegmentSize: 1 << 20 });
    const archiver = await Archiver.start(wal, { ...testOptions(new MemoryObjectStore()), observer: { onRemoteDurable: (e) => events.push(e) } });
    const { position } = await archiver.append({ key: 'a', value: '1' });
    await archiver.appendBatch([
      { key: 'b', value: '2' },
      { key: 'c', value: '3' },
      { key: 'd', value: '4' },
    ]);
    await archiver.waitArchived(position);
    await expect(archiver.waitArchived({ segmentId: -1, offset: 0 })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await archiver.close();
    await expect(archiver.append({ key: 'e', value: '5' })).rejects.toMatchObject({ code: 'ERR_CLOSED' });
    expect(events.map(({ op, records, ok }) => [op, records, ok])).toEqual([
      ['append', 1, true],
      ['appendBatch', 3, true],
      ['waitArchived', 1, true],
      ['waitArchived', 1, false],
      ['append', 1, false],
    ]);
    for (const e of events) expect(e.durationMs).toBeGreaterThanOrEqual(0);
    await wal.close();
  });
});
