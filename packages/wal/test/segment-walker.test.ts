import { crc32c, encodeRecord } from '@nori/codec';
import { concatBytes } from '@nori/test-support';
import { MemoryStorage, type StorageFile } from '@nori/storage';
import { describe, expect, it } from 'vitest';
import { classifyDamage, walkSegment, type SegmentReporter, type SegmentSpan, type WalkDamage } from '../src/scan.js';

const MAX = 1024 * 1024;

/** Records `k0..k{n-1}`, each `size` value bytes, and their offsets. */
function records(n: number, size = 10): { bytes: Uint8Array[]; offsets: number[] } {
  const bytes: Uint8Array[] = [];
  const offsets: number[] = [];
  let at = 0;
  for (let i = 0; i < n; i++) {
    const record = encodeRecord({ key: `k${i}`, value: new Uint8Array(size).fill(i + 1) });
    bytes.push(record);
    offsets.push(at);
    at += record.length;
  }
  return { bytes, offsets };
}

async function fileOf(bytes: Uint8Array): Promise<StorageFile> {
  const storage = new MemoryStorage();
  const file = await storage.open('000000.wal', { create: true });
  await file.writev([bytes], 0);
  return file;
}

/** Walks `bytes` and collects every report. */
async function walk(bytes: Uint8Array, options: { skipped?: SegmentSpan[]; cutAt?: number; start?: number; stopAfter?: number; chunkSize?: number } = {}) {
  const file = await fileOf(bytes);
  const seen: number[] = [];
  const damage: WalkDamage[] = [];
  const skipped: SegmentSpan[] = [];
  const reporter: SegmentReporter = {
    record: (_, offset) => {
      seen.push(offset);
      return options.stopAfter === undefined || seen.length < options.stopAfter;
    },
    damage: (found) => void damage.push(found),
    skipped: (span) => skipped.push(span),
  };
  const result = await walkSegment(
    file,
    {
      fileSize: bytes.length,
      maxRecordSize: MAX,
      chunkSize: options.chunkSize ?? 64,
      ...(options.start === undefined ? {} : { start: options.start }),
      ...(options.skipped === undefined ? {} : { skipped: options.skipped }),
      ...(options.cutAt === undefined ? {} : { cutAt: options.cutAt }),
    },
    reporter,
  );
  return { ...result, seen, damage, skipped };
}

describe('walkSegment', () => {
  it('reports every record and a clean end on a record boundary', async () => {
    const { bytes, offsets } = records(20);
    const result = await walk(concatBytes(bytes));
    expect(result.seen).toEqual(offsets);
    expect(result.end).toEqual({ kind: 'clean', offset: concatBytes(bytes).length });
    expect(result.records).toBe(20);
    expect(result.damage).toEqual([]);
  });

  it('classifies zeros after the last record as a zero tail, not damage', async () => {
    const { bytes } = records(5);
    const data = concatBytes(bytes);
    const result = await walk(concatBytes([data, new Uint8Array(300)]));
    expect(result.end).toEqual({ kind: 'zero-tail', offset: data.length, length: 300 });
    expect(result.damage).toEqual([]);
  });

  it('classifies a cut-short last record as torn, with the reason', async () => {
    const { bytes } = records(5);
    const whole = concatBytes(bytes);
    const lastStart = whole.length - (bytes[4] as Uint8Array).length;
    const result = await walk(whole.subarray(0, whole.length - 3));
    expect(result.seen).toHaveLength(4);
    expect(result.end).toEqual({
      kind: 'torn',
      offset: lastStart,
      length: whole.length - 3 - lastStart,
      reason: 'incomplete',
      claimed: whole.length - lastStart,
    });
  });

  it('reports damage followed by records with its resync point and walks on', async () => {
    const { bytes, offsets } = records(6);
    const data = concatBytes(bytes);
    const bad = offsets[2] as number;
    data[bad + 6] = (data[bad + 6] as number) ^ 0xff; // inside record 2: its CRC fails
    const result = await walk(data);
    const length = (offsets[3] as number) - bad;
    expect(result.damage).toEqual([{ offset: bad, length, reason: 'crc-mismatch', resumeAt: offsets[3], claimed: length }]);
    expect(result.seen).toEqual([offsets[0], offsets[1], offsets[3], offsets[4], offsets[5]]);
    expect(result.end.kind).toBe('clean');
  });

  it('stops at damage when the reporter says so, ending at the damage', async () => {
    const { bytes, offsets } = records(4);
    const data = concatBytes(bytes);
    const bad = offsets[1] as number;
    data[bad + 6] = (data[bad + 6] as number) ^ 0xff;
    const file = await fileOf(data);
    const seen: number[] = [];
    const result = await walkSegment(
      file,
      { fileSize: data.length, maxRecordSize: MAX },
      { record: (_, offset) => void seen.push(offset), damage: () => false },
    );
    expect(result.end).toEqual({ kind: 'stopped', offset: bad });
    expect(seen).toEqual([0]);
  });

  it('zeros below writtenLength are damage, not a preallocated tail', async () => {
    const { bytes } = records(3);
    const data = concatBytes([...bytes, new Uint8Array(40)]);
    const end = data.length - 40;
    expect((await walk(data)).end).toEqual({ kind: 'zero-tail', offset: end, length: 40 });
    const file = await fileOf(data);
    const sealed = await walkSegment(file, { fileSize: data.length, maxRecordSize: MAX, writtenLength: data.length }, { record: () => undefined });
    expect(sealed.end).toMatchObject({ kind: 'torn', offset: end, length: 40 });
  });

  it('damage that runs into a known region swallows it (the next record is searched across it)', async () => {
    const { bytes, offsets } = records(8);
    const data = concatBytes(bytes);
    const bad = offsets[1] as number;
    // Records 1-2 damaged, a known region over records 3-4, records 5 on fine: the resync finds record 3.
    data[bad + 6] = (data[bad + 6] as number) ^ 0xff;
    const two = offsets[2] as number;
    data[two + 6] = (data[two + 6] as number) ^ 0xff;
    const region = { from: offsets[3] as number, to: offsets[5] as number };
    const once = await walk(data, { skipped: [region] });
    expect(once.damage.map((d) => [d.offset, d.resumeAt])).toEqual([[bad, offsets[3]]]);
    expect(once.skipped).toEqual([region]);
    // The region's own bytes are garbage now too: the resync runs across it to record 5, and the
    // region is passed over, not reported.
    for (const at of [offsets[3] as number, offsets[4] as number]) data[at + 6] = (data[at + 6] as number) ^ 0xff;
    const swallowed = await walk(data, { skipped: [region] });
    expect(swallowed.damage.map((d) => [d.offset, d.resumeAt])).toEqual([[bad, offsets[5]]]);
    expect(swallowed.skipped).toEqual([]);
    expect(swallowed.seen).toEqual([0, offsets[5], offsets[6], offsets[7]]);
  });

  it('never reads a known skipped region and reports it instead', async () => {
    const { bytes, offsets } = records(6);
    const data = concatBytes(bytes);
    const span = { from: offsets[2] as number, to: offsets[4] as number };
    data.fill(0xee, span.from, span.to); // garbage a salvage skipped: never parsed
    const result = await walk(data, { skipped: [span] });
    expect(result.skipped).toEqual([span]);
    expect(result.damage).toEqual([]);
    expect(result.seen).toEqual([offsets[0], offsets[1], offsets[4], offsets[5]]);
  });

  it('ends at a cut (a skipped region that runs into the next segment)', async () => {
    const { bytes, offsets } = records(6);
    const data = concatBytes(bytes);
    const cutAt = offsets[3] as number;
    data.fill(0xee, cutAt);
    const result = await walk(data, { cutAt });
    expect(result.end).toEqual({ kind: 'cut', offset: cutAt });
    expect(result.seen).toEqual(offsets.slice(0, 3));
    expect(result.damage).toEqual([]);
  });

  it('a cut exactly at the end of the file is still a cut', async () => {
    const { bytes } = records(3);
    const data = concatBytes(bytes);
    const result = await walk(data, { cutAt: data.length });
    expect(result.end).toEqual({ kind: 'cut', offset: data.length });
  });

  it('stops when the reporter returns false', async () => {
    const { bytes, offsets } = records(10);
    const result = await walk(concatBytes(bytes), { stopAfter: 3 });
    expect(result.seen).toEqual(offsets.slice(0, 3));
    expect(result.end).toEqual({ kind: 'stopped', offset: offsets[3] });
  });

  it('a whole record whose value does not decompress is exactly one damaged record', async () => {
    const { bytes, offsets } = records(2);
    // lz4 record with a valid CRC whose block expands to a different length.
    const body = Uint8Array.from([0x01, 0x05, 0x04, 0x6b, 0x05, 0x30, 0x61, 0x62, 0x63]);
    const badRecord = new Uint8Array(body.length + 4);
    badRecord.set(body);
    new DataView(badRecord.buffer).setUint32(body.length, crc32c(body), true);
    const data = concatBytes([bytes[0] as Uint8Array, badRecord, bytes[1] as Uint8Array]);
    const file = await fileOf(data);
    const damage: WalkDamage[] = [];
    const seen: number[] = [];
    const result = await walkSegment(
      file,
      { fileSize: data.length, maxRecordSize: MAX, verifyCompressed: true },
      { record: (_, offset) => void seen.push(offset), damage: (found) => void damage.push(found) },
    );
    const at = offsets[1] as number;
    expect(damage).toEqual([
      { offset: at, length: badRecord.length, reason: 'decompression-failed', resumeAt: at + badRecord.length, claimed: badRecord.length },
    ]);
    expect(seen).toEqual([0, at + badRecord.length]);
    expect(result.end.kind).toBe('clean');
  });

  it('starts at a given record boundary', async () => {
    const { bytes, offsets } = records(5);
    const result = await walk(concatBytes(bytes), { start: offsets[2] as number });
    expect(result.seen).toEqual(offsets.slice(2));
  });
});

describe('classifyDamage', () => {
  it('tells a zero tail, a torn end and corruption with a resync point apart', async () => {
    const { bytes, offsets } = records(3);
    const data = concatBytes(bytes);
    const zeros = await fileOf(concatBytes([data, new Uint8Array(50)]));
    const options = { maxRecordSize: MAX, zeroTail: true };
    expect(await classifyDamage(zeros, data.length, { ...options, limit: data.length + 50, fileSize: data.length + 50 })).toEqual({ kind: 'zero-tail' });
    // Zeros a sealed segment held are data, not preallocated space: no record follows, torn.
    expect(await classifyDamage(zeros, data.length, { ...options, zeroTail: false, limit: data.length + 50, fileSize: data.length + 50 })).toEqual({
      kind: 'torn',
    });
    const garbage = await fileOf(concatBytes([new Uint8Array(40).fill(0xab), data]));
    expect(await classifyDamage(garbage, 0, { ...options, limit: data.length + 40, fileSize: data.length + 40 })).toEqual({
      kind: 'corrupt',
      resumeAt: 40 + (offsets[0] as number),
    });
  });
});
