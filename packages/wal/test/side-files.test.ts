import { MemoryStorage } from '@nori/storage';
import { describe, expect, it } from 'vitest';
import { Wal, type AppendResult, type Position, type RecoveryMode } from '../src/index.js';
import { BATCH_INTENT_FILE, INTENT_FILE_LIMIT, decodeIntentEntries } from '../src/batch-intent.js';
import { recover } from '../src/recovery.js';
import { MAX_SKIPPED_REGIONS, SKIPPED_REGIONS_FILE, SKIPPED_REGIONS_MAX_BYTES } from '../src/skipped-regions.js';
import { record, readWhole } from '@nori/test-support';
import { fileSize, flipByte, overwrite } from './storage-helpers.js';

const MODES: RecoveryMode[] = ['tolerate-tail', 'point-in-time', 'strict', 'salvage'];

async function smallLog(storage: MemoryStorage, n = 20): Promise<Position[]> {
  const { wal } = await Wal.open({ storage, fsync: 'os', preallocate: false });
  const positions: Position[] = [];
  for (let i = 0; i < n; i++) positions.push((await wal.append(record(i))).position);
  await wal.close();
  return positions;
}

/** Writes `bytes` as the whole content of `name`. */
async function writeFile(storage: MemoryStorage, name: string, bytes: Uint8Array): Promise<void> {
  const file = await storage.open(name, { create: true });
  await file.close();
  await overwrite(storage, name, 0, bytes);
}

/** Every open (each mode, writable and read-only) refuses with ERR_CORRUPTION naming `name`; the file is untouched. */
async function expectRefused(storage: MemoryStorage, name: string, message: RegExp): Promise<void> {
  const before = await readWhole(storage, name);
  for (const recovery of MODES) {
    for (const readOnly of [false, true]) {
      const error = await Wal.open({ storage, preallocate: false, recovery, readOnly }).then(
        async ({ wal }) => {
          await wal.close();
          return undefined;
        },
        (e: unknown) => e,
      );
      expect(error, `${recovery} readOnly=${readOnly}`).toMatchObject({ code: 'ERR_CORRUPTION', message });
      expect((error as Error).message).toContain(name);
      expect(Buffer.compare(await readWhole(storage, name), before)).toBe(0);
    }
  }
}

describe('hostile side files are refused, never read whole, never deleted', () => {
  it('batches.intent larger than the writer ever makes it', async () => {
    const storage = new MemoryStorage();
    await smallLog(storage);
    await writeFile(storage, BATCH_INTENT_FILE, new Uint8Array(INTENT_FILE_LIMIT + 1).fill(0x5a));
    await expectRefused(storage, BATCH_INTENT_FILE, /more than the \d+ bytes the writer ever writes/);
  });

  it('a group of more batches than one entry lists is recorded as one extent, within the limit', async () => {
    const storage = new MemoryStorage();
    const { wal } = await Wal.open({ storage, fsync: 'os', preallocate: false });
    const batches = 16_000;
    const pending: Promise<AppendResult[]>[] = [];
    // Queued in one tick: one group, one intent entry.
    for (let i = 0; i < batches; i++)
      pending.push(
        wal.appendBatch([
          { key: 'a', value: 'b' },
          { key: 'c', value: 'd' },
        ]),
      );
    const positions = (await Promise.all(pending)).map((batch) => batch.map((r) => r.position));
    const size = await fileSize(storage, BATCH_INTENT_FILE);
    expect(size).toBeLessThanOrEqual(INTENT_FILE_LIMIT);
    const extents = decodeIntentEntries(await readWhole(storage, BATCH_INTENT_FILE));
    const first = positions[0]?.[0] as Position;
    const lastBatch = positions[batches - 1] as Position[];
    const end = (lastBatch[1] as Position).offset + ((lastBatch[1] as Position).offset - (lastBatch[0] as Position).offset);
    expect(extents).toEqual([{ segmentId: 0, start: first.offset, end }]);
    await wal.close();
  });

  it('salvaged.json larger than the largest list salvage writes', async () => {
    const storage = new MemoryStorage();
    await smallLog(storage);
    // Valid JSON, padded past the limit: reading it whole is what must not happen.
    const head = new TextEncoder().encode('{"version":1,"regions":[]}');
    const padded = new Uint8Array(SKIPPED_REGIONS_MAX_BYTES + 1).fill(0x20);
    padded.set(head, 0);
    await writeFile(storage, SKIPPED_REGIONS_FILE, padded);
    await expectRefused(storage, SKIPPED_REGIONS_FILE, /more than the \d+ bytes of \d+ regions/);
  });

  it('salvaged.json listing more regions than salvage ever records', async () => {
    const storage = new MemoryStorage();
    await smallLog(storage);
    const regions = Array.from({ length: MAX_SKIPPED_REGIONS + 1 }, (_, i) => ({
      from: { segmentId: 0, offset: 2 * i },
      to: { segmentId: 0, offset: 2 * i + 1 },
    }));
    await writeFile(storage, SKIPPED_REGIONS_FILE, new TextEncoder().encode(JSON.stringify({ version: 1, regions })));
    await expectRefused(storage, SKIPPED_REGIONS_FILE, /more than the \d+ salvage ever records/);
  });

  it('salvage refuses to record more regions than the side file may hold', async () => {
    const storage = new MemoryStorage();
    const positions = await smallLog(storage);
    await flipByte(storage, '000000.wal', (positions[3] as Position).offset + 12);
    await flipByte(storage, '000000.wal', (positions[9] as Position).offset + 12);
    const options = { mode: 'salvage' as const, readLimit: 1 << 20, readOnly: false, keepZeroTail: false, observer: undefined };
    await expect(recover(storage, { ...options, maxSkippedRegions: 1 })).rejects.toMatchObject({
      code: 'ERR_CORRUPTION',
      message: /more than 1 damaged regions/,
    });
    expect(await storage.exists(SKIPPED_REGIONS_FILE)).toBe(false);
    expect((await recover(storage, { ...options, maxSkippedRegions: 2 })).report.skipped).toHaveLength(2);
  });
});
