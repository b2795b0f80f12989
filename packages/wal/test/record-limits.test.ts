import { MIN_RECORD_SIZE } from '@nori/codec';
import { MemoryStorage } from '@nori/storage';
import { describe, expect, it } from 'vitest';
import { Wal, type Position, type RecoveryMode } from '../src/index.js';
import { recover } from '../src/recovery.js';
import { collect, firstByteMismatch, indexOf, record, readWhole } from '@nori/test-support';

const WRITE_LIMIT = 64 * 1024;
const BIG = 60 * 1024;
const MODES: RecoveryMode[] = ['tolerate-tail', 'point-in-time', 'strict', 'salvage'];

/** Segment 0: small records around two 60 KiB ones (one zstd-compressed), written with a 64 KiB limit. */
async function logWithLargeRecords(storage: MemoryStorage): Promise<{ values: Uint8Array[]; positions: Position[] }> {
  const { wal } = await Wal.open({ storage, fsync: 'os', preallocate: false, maxRecordSize: WRITE_LIMIT });
  const values: Uint8Array[] = [];
  const positions: Position[] = [];
  for (let i = 0; i < 8; i++) {
    const size = i === 2 || i === 5 ? BIG : 100;
    const { key, value } = record(i, size);
    values.push(value);
    positions.push((await wal.append({ key, value, ...(i === 5 ? { compression: 'zstd' as const } : {}) })).position);
  }
  await wal.close();
  return { values, positions };
}

describe('maxRecordSize limits writes, never reads', () => {
  it('a log written with a larger maxRecordSize opens whole with the smallest one, in every mode', async () => {
    const base = new MemoryStorage();
    const { values, positions } = await logWithLargeRecords(base);
    const segment = await readWhole(base, '000000.wal');
    for (const mode of MODES) {
      for (const readOnly of [false, true]) {
        const storage = base.fork();
        const { wal, recovery } = await Wal.open({ storage, preallocate: false, recovery: mode, readOnly, maxRecordSize: MIN_RECORD_SIZE });
        expect(recovery.corruptions).toEqual([]);
        expect(recovery.quarantined).toEqual([]);
        expect(recovery.skipped).toEqual([]);
        expect(recovery.records).toBe(8);
        const entries = await collect(wal.read());
        expect(entries.map((e) => indexOf(e.key))).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
        expect(entries.map((e) => e.position)).toEqual(positions);
        expect(
          firstByteMismatch(
            entries.map((e) => e.value),
            values,
          ),
        ).toBe(-1);
        if (!readOnly) {
          // The limit still applies to what this WAL writes.
          await expect(wal.append(record(8, 100))).rejects.toMatchObject({ code: 'ERR_RECORD_TOO_LARGE' });
        }
        await wal.close();
        expect(firstByteMismatch([await readWhole(storage, '000000.wal')], [segment])).toBe(-1);
        expect(await storage.exists('quarantine')).toBe(false);
      }
    }
  });

  it('a whole record above the format limit refuses to open with ERR_RECORD_TOO_LARGE and moves nothing', async () => {
    const storage = new MemoryStorage();
    await logWithLargeRecords(storage);
    const before = await readWhole(storage, '000000.wal');
    for (const mode of ['tolerate-tail', 'point-in-time', 'strict'] as const) {
      const options = { mode, readLimit: 4096, readOnly: false, keepZeroTail: false, observer: undefined };
      await expect(recover(storage, options)).rejects.toMatchObject({ code: 'ERR_RECORD_TOO_LARGE', message: /offset \d+.*4096-byte limit/ });
      expect(firstByteMismatch([await readWhole(storage, '000000.wal')], [before])).toBe(-1);
      expect(await storage.exists('quarantine')).toBe(false);
    }
  });
});
