import { createRequire } from 'node:module';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { RecordScanner, decodeRecord, decodeVarint, encodeRecord, encodeVarint, type Compression, type RecordInput } from '../src/index.js';
import { setNativeEnabled } from '../src/native.js';
import { zstdEncoderAvailable } from './env.js';
import { expectBytes } from '@nori/test-support';

const require = createRequire(import.meta.url);
const lz4napi = require('lz4-napi') as { uncompressSync(data: Uint8Array): Uint8Array };

afterEach(() => {
  setNativeEnabled(true);
});

const U64_MAX = 2n ** 64n - 1n;

/** Values that are sometimes random, sometimes highly compressible. */
const valueArb = fc.oneof(
  fc.uint8Array({ maxLength: 600 }),
  fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 400 })).map(([unit, times]) => {
    const out = new Uint8Array(unit.length * times);
    for (let i = 0; i < times; i++) out.set(unit, i * unit.length);
    return out;
  }),
);

const ttlArb = fc.option(fc.oneof(fc.bigInt({ min: 0n, max: U64_MAX }), fc.constantFrom(0n, 127n, 128n, 2n ** 53n, 2n ** 63n, U64_MAX), fc.maxSafeNat()), {
  nil: undefined,
});

const compressionArb = fc.constantFrom<Compression>(...(zstdEncoderAvailable ? (['none', 'lz4', 'zstd'] as const) : (['none', 'lz4'] as const)));

const recordArb = fc
  .record({
    key: fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.string({ maxLength: 40 })),
    value: valueArb,
    tombstone: fc.boolean(),
    ttlMs: ttlArb,
    compression: compressionArb,
  })
  .map((r): RecordInput => {
    const input: RecordInput = { key: r.key, value: r.value, tombstone: r.tombstone, compression: r.compression };
    if (r.ttlMs !== undefined) input.ttlMs = r.ttlMs;
    return input;
  });

const keyBytes = (key: Uint8Array | string) => (typeof key === 'string' ? new TextEncoder().encode(key) : key);

function expectSameRecord(input: RecordInput, decoded: ReturnType<typeof decodeRecord>, size: number): void {
  expect(decoded.kind).toBe('ok');
  if (decoded.kind !== 'ok') return;
  expect(decoded.size).toBe(size);
  expectBytes(decoded.record.key, keyBytes(input.key));
  expectBytes(decoded.record.value, keyBytes(input.value ?? new Uint8Array(0)));
  expect(decoded.record.tombstone).toBe(input.tombstone);
  expect(decoded.record.ttlMs).toBe(input.ttlMs === undefined ? undefined : BigInt(input.ttlMs));
  expect(decoded.record.compression).toBe(input.compression);
}

describe.each([
  ['native backends', true],
  ['pure-JS backends', false],
])('properties (%s)', (_name, native) => {
  it('encode -> decode round-trips any record (ttl up to 2^64-1, every compression)', () => {
    setNativeEnabled(native);
    fc.assert(
      fc.property(recordArb, (input) => {
        // zstd encoding has no pure-JS implementation: encode natively, decode with the backend under test
        setNativeEnabled(native || input.compression === 'zstd');
        const encoded = encodeRecord(input);
        setNativeEnabled(native);
        expectSameRecord(input, decodeRecord(encoded), encoded.length);
        const scanner = new RecordScanner();
        scanner.reset(encoded);
        expect(scanner.next()).toBe('ok');
        expect(scanner.record(true)).toEqual((decodeRecord(encoded) as { record: unknown }).record);
        expect(scanner.next()).toBe('end');
      }),
      { numRuns: 300 },
    );
  });
});

describe('corruption is never a different valid record', () => {
  it('any single-byte change makes the record corrupt or incomplete', () => {
    fc.assert(
      fc.property(recordArb, fc.nat(), fc.integer({ min: 1, max: 255 }), (input, at, mask) => {
        const encoded = encodeRecord(input);
        const damaged = encoded.slice();
        const index = at % damaged.length;
        damaged[index] = damaged[index]! ^ mask;
        const result = decodeRecord(damaged);
        expect(result.kind).not.toBe('ok');
        const scanner = new RecordScanner();
        scanner.reset(damaged);
        expect(scanner.next()).toBe(result.kind);
      }),
      { numRuns: 2000 },
    );
  });

  it('setting reserved flag bits 4-7 still changes the CRC: corrupt', () => {
    fc.assert(
      fc.property(recordArb, fc.integer({ min: 1, max: 15 }), (input, bits) => {
        const encoded = encodeRecord(input);
        // flags follow the klen and vlen varints
        const klen = decodeVarint(encoded, 0);
        if (klen.kind !== 'ok') throw new Error('klen');
        const vlen = decodeVarint(encoded, klen.length);
        if (vlen.kind !== 'ok') throw new Error('vlen');
        const flagsAt = klen.length + vlen.length;
        const damaged = encoded.slice();
        damaged[flagsAt] = damaged[flagsAt]! ^ (bits << 4);
        expect(decodeRecord(damaged)).toMatchObject({ kind: 'corrupt', reason: 'crc-mismatch' });
      }),
      { numRuns: 300 },
    );
  });

  it('any truncation is incomplete (never corrupt, never tooLarge) and says how much is needed', () => {
    fc.assert(
      fc.property(recordArb, fc.nat(), (input, at) => {
        const encoded = encodeRecord(input);
        const cut = at % encoded.length;
        const result = decodeRecord(encoded.subarray(0, cut));
        expect(result.kind).toBe('incomplete');
        if (result.kind !== 'incomplete') return;
        expect(result.tooLarge).toBe(false);
        expect(result.needed).toBeGreaterThan(cut);
        expect(result.needed).toBeLessThanOrEqual(encoded.length);
      }),
      { numRuns: 1000 },
    );
  });

  it('a log of records followed by a torn record scans every whole record, then incomplete', () => {
    fc.assert(
      fc.property(fc.array(recordArb, { minLength: 1, maxLength: 12 }), fc.nat(), (inputs, at) => {
        const encoded = inputs.map((i) => encodeRecord(i));
        const total = encoded.reduce((n, e) => n + e.length, 0);
        const log = new Uint8Array(total);
        let offset = 0;
        for (const e of encoded) {
          log.set(e, offset);
          offset += e.length;
        }
        const lastLength = encoded.at(-1)!.length;
        // keep 1 ..= lastLength-1 bytes of the last record
        const torn = log.subarray(0, total - 1 - (at % (lastLength - 1)));
        const scanner = new RecordScanner();
        scanner.reset(torn);
        for (let i = 0; i < inputs.length - 1; i++) expect(scanner.next()).toBe('ok');
        const lastStart = scanner.cursor;
        expect(lastStart).toBe(total - lastLength);
        expect(scanner.next()).toBe('incomplete');
        expect(scanner.cursor).toBe(lastStart);
        scanner.reset(log);
        let records = 0;
        while (scanner.next() === 'ok') records++;
        expect(records).toBe(inputs.length);
        expect(scanner.status).toBe('end');
      }),
      { numRuns: 200 },
    );
  });

  it('decoding arbitrary bytes never throws', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(), (bytes, at) => {
        const result = decodeRecord(bytes, bytes.length === 0 ? 0 : at % bytes.length);
        expect(['ok', 'incomplete', 'corrupt']).toContain(result.kind);
        const scanner = new RecordScanner({ maxRecordSize: 128 });
        scanner.reset(bytes);
        for (let i = 0; i < 50 && scanner.next() === 'ok'; i++);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('compressed encodings', () => {
  it('lz4 values are varint(original length) + a raw block that lz4-napi decodes (Rust layout)', () => {
    fc.assert(
      fc.property(valueArb, fc.boolean(), (value, native) => {
        setNativeEnabled(native);
        const encoded = encodeRecord({ key: '', value, compression: 'lz4' });
        setNativeEnabled(true);
        const vlen = decodeVarint(encoded, 1);
        if (vlen.kind !== 'ok') throw new Error('vlen');
        const start = 1 + vlen.length + 1;
        const stored = encoded.subarray(start, start + Number(vlen.value));
        const original = decodeVarint(stored);
        expect(original).toMatchObject({ kind: 'ok', value: BigInt(value.length) });
        if (original.kind !== 'ok') return;
        const block = stored.subarray(original.length);
        const framed = new Uint8Array(block.length + 4);
        new DataView(framed.buffer).setUint32(0, value.length, true);
        framed.set(block, 4);
        expectBytes(new Uint8Array(lz4napi.uncompressSync(framed)), value);
      }),
      { numRuns: 300 },
    );
  });

  it.skipIf(!zstdEncoderAvailable)('zstd values are zstd frames that our decoder reads', () => {
    fc.assert(
      fc.property(valueArb, (value) => {
        const encoded = encodeRecord({ key: 'z', value, compression: 'zstd' });
        const decoded = decodeRecord(encoded);
        expect(decoded).toMatchObject({ kind: 'ok', record: { compression: 'zstd' } });
        if (decoded.kind === 'ok') expectBytes(decoded.record.value, value);
      }),
      { numRuns: 200 },
    );
  });
});

it('varints round-trip every u64', () => {
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: U64_MAX }), (value) => {
      const bytes = encodeVarint(value);
      expect(decodeVarint(bytes)).toEqual({ kind: 'ok', value, length: bytes.length });
      if (value <= BigInt(Number.MAX_SAFE_INTEGER)) expectBytes(encodeVarint(Number(value)), bytes);
    }),
  );
});
