import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RecordScanner, crc32c, encodeRecord, type RecordInput } from '@nori/codec';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { segmentName } from '@nori/wal';
import { concatBytes } from '@nori/test-support';
import { readWalDirectory, scanLog, type LogScan } from '../src/index.js';
import { cleanupScratch, scratchDir } from './helpers.js';

afterAll(cleanupScratch);

interface Layout {
  /** Per segment: encoded records. */
  segments: Uint8Array[][];
}

/** Writes segments to a new directory; returns it and each record's position. */
async function writeLog(layout: Layout, mutate?: (files: Uint8Array[]) => void): Promise<{ dir: string; positions: string[][] }> {
  const dir = join(await scratchDir('nori-cli-scan-'), 'wal');
  await mkdir(dir);
  const files = layout.segments.map((records) => concatBytes(records));
  const positions = layout.segments.map((records, id) => {
    let at = 0;
    return records.map((record) => {
      const position = `${id}:${at}`;
      at += record.length;
      return position;
    });
  });
  mutate?.(files);
  await Promise.all(files.map((bytes, id) => writeFile(join(dir, segmentName(id)), bytes)));
  return { dir, positions };
}

async function scan(dir: string, chunkSize?: number): Promise<{ result: LogScan; seen: string[] }> {
  const seen: string[] = [];
  const result = await scanLog(
    await readWalDirectory(dir),
    { checkValues: true, ...(chunkSize === undefined ? {} : { chunkSize }) },
    {
      record(_scanner, position) {
        seen.push(`${position.segmentId}:${position.offset}`);
      },
    },
  );
  return { result, seen };
}

function comparable(result: LogScan): unknown {
  return {
    corruptions: result.corruptions,
    tail: result.tail,
    records: result.records,
    segments: result.segments.map(({ dataEnd, trailer, records }) => ({ dataEnd, trailer, records })),
  };
}

const recordArb: fc.Arbitrary<RecordInput> = fc.record(
  {
    key: fc.uint8Array({ maxLength: 24 }),
    value: fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ minLength: 100, maxLength: 700 })),
    tombstone: fc.boolean(),
    ttlMs: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  },
  { requiredKeys: ['key', 'value', 'tombstone'] },
);

const layoutArb: fc.Arbitrary<Layout> = fc
  .array(fc.array(recordArb, { minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 3 })
  .map((segments) => ({ segments: segments.map((records) => records.map((record) => encodeRecord(record))) }));

describe('scanLog', () => {
  it('finds every record of an intact log at its exact position, whatever the read size', async () => {
    await fc.assert(
      fc.asyncProperty(layoutArb, async (layout) => {
        const { dir, positions } = await writeLog(layout);
        const small = await scan(dir, 64);
        const large = await scan(dir);
        expect(small.seen).toEqual(positions.flat());
        expect(large.seen).toEqual(positions.flat());
        expect(small.result.corruptions).toEqual([]);
        expect(small.result.tail.kind).toBe('clean');
        expect(comparable(small.result)).toEqual(comparable(large.result));
      }),
      { numRuns: 40 },
    );
  });

  it('a flipped byte loses exactly that record: corruption mid-log, torn tail at the very end', async () => {
    await fc.assert(
      fc.asyncProperty(layoutArb, fc.nat(), fc.nat(), fc.nat(), async (layout, segmentPick, recordPick, bytePick) => {
        const segment = segmentPick % layout.segments.length;
        const records = layout.segments[segment] as Uint8Array[];
        const index = recordPick % records.length;
        const victim = records[index] as Uint8Array;
        const offset = records.slice(0, index).reduce((sum, record) => sum + record.length, 0);
        const byte = bytePick % victim.length;
        const { dir, positions } = await writeLog(layout, (files) => {
          const file = files[segment] as Uint8Array;
          file[offset + byte] = (file[offset + byte] ?? 0) ^ 0x01;
        });
        const small = await scan(dir, 64);
        const large = await scan(dir);
        const lost = `${segment}:${offset}`;
        expect(large.seen).toEqual(positions.flat().filter((position) => position !== lost));
        expect(small.seen).toEqual(large.seen);
        expect(comparable(small.result)).toEqual(comparable(large.result));
        const lastOfLog = segment === layout.segments.length - 1 && index === records.length - 1;
        if (lastOfLog) {
          expect(large.result.corruptions).toEqual([]);
          expect(large.result.tail).toMatchObject({ kind: 'torn', position: { segmentId: segment, offset }, length: victim.length });
        } else {
          expect(large.result.corruptions).toEqual([{ segmentId: segment, offset, length: victim.length, reason: expect.any(String) }]);
          expect(large.result.tail.kind).toBe('clean');
        }
      }),
      { numRuns: 80 },
    );
  });

  it('garbage between records is skipped and the records after it are found', async () => {
    const records = Array.from({ length: 20 }, (_, i) => encodeRecord({ key: `k${i}`, value: 'v'.repeat(i * 10) }));
    const garbage = Uint8Array.from({ length: 3000 }, (_, i) => (i * 7919 + 13) % 251);
    const { dir } = await writeLog({ segments: [[...records.slice(0, 10), garbage, ...records.slice(10)]] });
    for (const chunkSize of [64, 1024, undefined]) {
      const { result, seen } = await scan(dir, chunkSize);
      expect(seen).toHaveLength(20);
      const start = records.slice(0, 10).reduce((sum, record) => sum + record.length, 0);
      expect(result.corruptions).toEqual([{ segmentId: 0, offset: start, length: garbage.length, reason: expect.any(String) }]);
    }
  });

  it('a record larger than the read size is read across chunk refills', async () => {
    const big = encodeRecord({ key: 'big', value: new Uint8Array(200_000).fill(7) });
    const small = encodeRecord({ key: 'small', value: 'x' });
    const { dir } = await writeLog({ segments: [[small, big, small]] });
    const { result, seen } = await scan(dir, 64);
    expect(seen).toEqual(['0:0', `0:${small.length}`, `0:${small.length + big.length}`]);
    expect(result.tail.kind).toBe('clean');
  });

  it('zeros after the last record are a zero-filled tail; zeros then data are corruption', async () => {
    const a = encodeRecord({ key: 'a', value: 'x' });
    const b = encodeRecord({ key: 'b', value: 'y' });
    const tailOnly = await writeLog({ segments: [[a, new Uint8Array(5000)]] });
    expect((await scan(tailOnly.dir, 64)).result.tail).toEqual({
      kind: 'zero-filled',
      position: { segmentId: 0, offset: a.length },
      length: 5000,
      reason: undefined,
    });
    const hole = await writeLog({ segments: [[a, new Uint8Array(100), b]] });
    const { result, seen } = await scan(hole.dir);
    expect(seen).toEqual(['0:0', `0:${a.length + 100}`]);
    expect(result.corruptions).toEqual([{ segmentId: 0, offset: a.length, length: 100, reason: 'crc-mismatch' }]);
  });

  it('a compressed value that does not decompress is corruption of that record, even at the very end', async () => {
    const good = encodeRecord({ key: 'a', value: 'x'.repeat(500), compression: 'lz4' });
    const broken = (): Uint8Array => {
      const record = encodeRecord({ key: 'b', value: 'y'.repeat(500), compression: 'lz4' });
      const scanner = new RecordScanner({ verifyCompressed: false });
      scanner.reset(record);
      expect(scanner.next()).toBe('ok');
      record.fill(0xff, scanner.valueStart, scanner.valueEnd);
      new DataView(record.buffer, record.byteOffset).setUint32(record.length - 4, crc32c(record.subarray(0, record.length - 4)), true);
      return record;
    };
    for (const layout of [
      [good, broken(), good],
      [good, broken()],
    ]) {
      const { dir } = await writeLog({ segments: [layout] });
      const { result, seen } = await scan(dir, 64);
      expect(seen).toEqual(layout.length === 3 ? ['0:0', `0:${good.length + (layout[1]?.length ?? 0)}`] : ['0:0']);
      expect(result.corruptions).toEqual([
        { segmentId: 0, offset: good.length, length: layout[1]?.length, reason: expect.stringMatching(/^(decompression-failed|too-large)$/) },
      ]);
      expect(result.tail.kind).toBe('clean');
    }
  });

  it('honours --from and stops when the visitor says so', async () => {
    const records = Array.from({ length: 10 }, (_, i) => encodeRecord({ key: `k${i}` }));
    const { dir, positions } = await writeLog({ segments: [records.slice(0, 5), records.slice(5)] });
    const seen: string[] = [];
    const [segmentId, offset] = (positions[0]?.[3] ?? '').split(':').map(Number) as [number, number];
    const result = await scanLog(
      await readWalDirectory(dir),
      { from: { segmentId, offset } },
      {
        record(_scanner, position) {
          seen.push(`${position.segmentId}:${position.offset}`);
          return seen.length < 4;
        },
      },
    );
    expect(seen).toEqual([...(positions[0]?.slice(3) ?? []), ...(positions[1]?.slice(0, 2) ?? [])]);
    expect(result.segments.at(-1)?.stopped).toBe(true);
  });

  it('jumps over regions listed in salvaged.json unread; damage elsewhere (even right before one) is still corruption', async () => {
    const r = Array.from({ length: 7 }, (_, i) => encodeRecord({ key: `k${i}`, value: 'v'.repeat(20 + i * 7) }));
    const garbage = (length: number, byte: number): Uint8Array => new Uint8Array(length).fill(byte);
    const known = garbage(45, 0xab);
    const fresh = garbage(33, 0xcd);
    const cutOff = garbage(50, 0xef);
    const beforeKnown = garbage(21, 0x5c);
    const knownToo = garbage(17, 0x3d);
    const layout = {
      segments: [
        [r[0], r[1], known, r[2], fresh, r[3]],
        [r[4], cutOff],
        [r[5], beforeKnown, knownToo, r[6]],
      ].map((records) => records as Uint8Array[]),
    };
    const { dir, positions } = await writeLog(layout);
    const at = (segment: number, index: number): { segmentId: number; offset: number } => {
      const [segmentId, offset] = (positions[segment]?.[index] ?? '').split(':').map(Number) as [number, number];
      return { segmentId, offset };
    };
    const regions = [
      { from: at(0, 2), to: at(0, 3) },
      { from: at(1, 1), to: { segmentId: 2, offset: 0 } },
      { from: at(2, 2), to: at(2, 3) },
    ];
    await writeFile(join(dir, 'salvaged.json'), JSON.stringify({ version: 1, regions }));
    const expectedSeen = [at(0, 0), at(0, 1), at(0, 3), at(0, 5), at(1, 0), at(2, 0), at(2, 3)].map((position) => `${position.segmentId}:${position.offset}`);
    for (const chunkSize of [64, 97, undefined]) {
      const { result, seen } = await scan(dir, chunkSize);
      expect(seen).toEqual(expectedSeen);
      // New damage right before a known region runs into it: the next record is searched across
      // the region (recovery's rule, one walker), so the damage swallows it.
      expect(result.salvaged).toEqual([
        { ...regions[0], length: known.length },
        { ...regions[1], length: cutOff.length },
      ]);
      expect(result.corruptions).toEqual([
        { ...at(0, 4), length: fresh.length, reason: expect.any(String) },
        { ...at(2, 1), length: beforeKnown.length + knownToo.length, reason: expect.any(String) },
      ]);
      expect(result.tail).toMatchObject({ kind: 'clean', position: { segmentId: 2, offset: at(2, 3).offset + (r[6]?.length ?? 0) } });
      expect(result.segments[1]?.dataEnd).toBe(at(1, 1).offset);
    }
    // Without the list, the same bytes are damage.
    const raw = await scanLog(await readWalDirectory(dir), { salvaged: [] });
    expect(raw.salvaged).toEqual([]);
    expect(raw.corruptions.length).toBeGreaterThan(2);
  });

  it('honours an AbortSignal', async () => {
    const { dir } = await writeLog({ segments: [[encodeRecord({ key: 'a' })]] });
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(scanLog(await readWalDirectory(dir), { signal: controller.signal })).rejects.toThrow('stop');
  });
});
