import fc from 'fast-check';
import { concatBytes } from '@nori/test-support';
import { describe, expect, it } from 'vitest';
import { CRC_BATCH_SPAN, CrcBatch, RECORD_RESIDUE } from '../src/crc-batch.js';
import { crc32cMultiply, crc32cPowerOfTwo, crc32cShiftByte } from '../src/crc32c-js.js';
import { RecordScanner, crc32c, encodeRecord, type ScanStatus } from '../src/index.js';

const MAX = 64 * 1024 * 1024;

/** `count` records with values of `valueBytes` (byte patterns differ per record). */
function records(count: number, valueBytes: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) =>
    encodeRecord({ key: `key-${String(i).padStart(4, '0')}`, value: Uint8Array.from({ length: valueBytes }, (_, j) => (i * 31 + j * 7) & 0xff) }),
  );
}

/** XORs `delta` into the stored CRC (little-endian) of the record ending at `end`. */
function xorStoredCrc(buf: Uint8Array, end: number, delta: number): void {
  for (let i = 0; i < 4; i++) buf[end - 4 + i]! ^= (delta >>> (8 * i)) & 0xff;
}

interface Outcome {
  readonly statuses: ScanStatus[];
  readonly starts: number[];
  readonly cursor: number;
  readonly reason: string | undefined;
}

/** Every step of a scan of `buf`, resuming past corrupt records like a salvage pass would. */
function scanAll(buf: Uint8Array, crcCheck: 'batched' | 'per-record'): Outcome {
  const scanner = new RecordScanner({ crcCheck });
  scanner.reset(buf);
  const statuses: ScanStatus[] = [];
  const starts: number[] = [];
  let reason: string | undefined;
  for (;;) {
    const status = scanner.next();
    statuses.push(status);
    starts.push(scanner.recordStart);
    if (status !== 'ok') {
      reason ??= scanner.corruptMessage;
      if (status !== 'corrupt' || scanner.cursor + 1 >= buf.length) break;
      scanner.seek(scanner.cursor + 1);
    }
  }
  return { statuses, starts, cursor: scanner.cursor, reason };
}

describe('batched CRC checks', () => {
  it('an intact record has the CRC residue as its CRC, whatever it holds', () => {
    for (const record of [...records(3, 0), ...records(3, 1000), encodeRecord({ key: 'k', tombstone: true, ttlMs: 5 })]) {
      expect(crc32c(record)).toBe(RECORD_RESIDUE);
    }
  });

  it('verifies a run of records with one check and leaves the run unverified when one byte in it changed', () => {
    // A little more than one span of ~1 KiB records: the run's far records sit 31 table spans
    // (32 KiB each) from its end, so every step of the share combination is used.
    const count = Math.ceil(CRC_BATCH_SPAN / 1000) + 10;
    const buf = concatBytes(records(count, 1000));
    const batch = new CrcBatch(true);
    batch.verifyFrom(buf, 0, buf.length, MAX);
    // As many records as fit whole in one span.
    const perRecord = buf.length / count;
    expect(batch.verifiedEnd).toBe(Math.floor(CRC_BATCH_SPAN / perRecord) * perRecord);

    for (const at of [0, 5, perRecord + 3, 40_000, 700_000, batch.verifiedEnd - 1]) {
      const damaged = buf.slice();
      damaged[at]! ^= 0x10;
      const check = new CrcBatch(true);
      check.verifyFrom(damaged, 0, damaged.length, MAX);
      expect(check.verifiedEnd).toBeLessThan(at + 1);
    }
  });

  it('verifies runs of every length up to a span, and stops a run of tiny records at its record limit', () => {
    for (const count of [5, 31, 32, 33, 64, 65, 200, 600]) {
      const buf = concatBytes(records(count, 1000));
      const batch = new CrcBatch(true);
      batch.verifyFrom(buf, 0, buf.length, MAX);
      expect(batch.verifiedEnd).toBe(buf.length);
    }
    const tiny = concatBytes(Array.from({ length: 10_000 }, () => encodeRecord({ key: '' })));
    const size = tiny.length / 10_000;
    const batch = new CrcBatch(true);
    batch.verifyFrom(tiny, 0, tiny.length, MAX);
    expect(batch.verifiedEnd).toBeGreaterThan(4096);
    expect(batch.verifiedEnd).toBeLessThan(tiny.length);
    expect(batch.verifiedEnd % size).toBe(0);
    // The next batch goes on where this one stopped.
    const end = batch.verifiedEnd;
    batch.verifyFrom(tiny, end, tiny.length, MAX);
    expect(batch.verifiedEnd).toBeGreaterThan(end);
  });

  it('moves a CRC share n bytes with one multiply by x^(8n), as n byte shifts do', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 12 }), (share, k) => {
        let shifted = share;
        for (let i = 0; i < 2 ** k; i++) shifted = crc32cShiftByte(shifted);
        // 2^k bytes = 2^(k + 3) bits.
        expect(crc32cMultiply(crc32cPowerOfTwo(k + 3), share)).toBe(shifted);
      }),
      { numRuns: 60, seed: 0x5eed },
    );
  });

  it('stops at a zero-filled tail instead of running through it', () => {
    const written = concatBytes(records(10, 1000));
    const buf = new Uint8Array(64 * 1024);
    buf.set(written);
    const batch = new CrcBatch(true);
    batch.verifyFrom(buf, 0, buf.length, MAX);
    expect(batch.verifiedEnd).toBe(written.length);
  });

  it('finds a damaged record right after the first one, and scans on after a seek', () => {
    const buf = concatBytes(records(40, 1000));
    const damaged = buf.slice();
    // The second record's CRC is wrong: with a batch from the first record the scanner would
    // still find it, but only a per-record check of the first one keeps a lone probe cheap.
    damaged[buf.length / 40 + 20]! ^= 1;
    const scanner = new RecordScanner();
    scanner.reset(damaged);
    expect(scanner.next()).toBe('ok');
    expect(scanner.next()).toBe('corrupt');
    expect(scanner.corruptReason).toBe('crc-mismatch');
    scanner.seek((buf.length / 40) * 2);
    let ok = 0;
    while (scanner.next() === 'ok') ok++;
    expect(ok).toBe(38);
    expect(scanner.status).toBe('end');
  });

  it('is one CRC over the run: damage in two records that cancels out passes a batch, never a per-record scan', () => {
    // What the batch check trades: two stored CRCs changed so that their effects on the run's CRC
    // cancel (for random damage: probability 2^-32, the odds of one CRC missing). The scanner uses
    // batches by default, so it reads these records; per-record checks reject the first one.
    const buf = concatBytes(records(10, 1000));
    const size = buf.length / 10;
    const delta = 0x1234_5678;
    let compensating = delta;
    for (let i = 0; i < 3 * size; i++) compensating = crc32cShiftByte(compensating);
    xorStoredCrc(buf, 4 * size, delta); // record 3
    xorStoredCrc(buf, 7 * size, compensating); // record 6, 3 records later
    expect(scanAll(buf, 'batched').statuses.filter((s) => s === 'ok')).toHaveLength(10);
    const strict = scanAll(buf, 'per-record');
    expect(strict.statuses.slice(0, 4)).toEqual(['ok', 'ok', 'ok', 'corrupt']);
  });

  it('does nothing with per-record checks, or for a single record', () => {
    const buf = concatBytes(records(20, 1000));
    const off = new CrcBatch(false);
    off.verifyFrom(buf, 0, buf.length, MAX);
    expect(off.verifiedEnd).toBe(0);
    const one = records(1, 40_000)[0]!;
    const single = new CrcBatch(true);
    single.verifyFrom(one, 0, one.length, MAX);
    expect(single.verifiedEnd).toBe(0);
  });

  it('scans exactly like per-record checks over any damage in logs of several batch spans (property)', () => {
    // Runs of up to 1 MiB: shares from every 32 KiB group distance are combined, and damage lands
    // far from a run's end as often as near it.
    const log = fc.array(fc.integer({ min: 0, max: 60_000 }), { minLength: 10, maxLength: 50 });
    const damage = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 2 });
    fc.assert(
      fc.property(log, damage, (sizes, flips) => {
        const buf = concatBytes(sizes.map((size, i) => encodeRecord({ key: `k${i}`, value: new Uint8Array(size).fill((i * 37) & 0xff) })));
        for (const [at, mask] of flips) buf[at % buf.length]! ^= mask;
        expect(scanAll(buf, 'batched')).toEqual(scanAll(buf, 'per-record'));
      }),
      { numRuns: 25, seed: 0xb16 },
    );
  });

  it('scans exactly like per-record checks over any damage (property)', () => {
    const log = fc.array(fc.tuple(fc.string({ maxLength: 12 }), fc.integer({ min: 0, max: 3000 })), { minLength: 1, maxLength: 40 });
    const damage = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 3 });
    fc.assert(
      fc.property(log, damage, fc.nat(), (shape, flips, cutSeed) => {
        const buf = concatBytes(shape.map(([key, size], i) => encodeRecord({ key, value: new Uint8Array(size).fill(i & 0xff) })));
        for (const [at, mask] of flips) buf[at % buf.length]! ^= mask;
        const cut = buf.subarray(0, buf.length - (cutSeed % 8));
        const batched = scanAll(cut, 'batched');
        const perRecord = scanAll(cut, 'per-record');
        expect(batched).toEqual(perRecord);
      }),
      { numRuns: 150, seed: 0x5eed },
    );
  });

  it('rejects an unknown crcCheck with a typed error', () => {
    expect(() => new RecordScanner({ crcCheck: 'sometimes' as 'batched' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
  });
});
