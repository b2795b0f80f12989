import { createRequire } from 'node:module';
import * as zlib from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { CompressionUnavailableError, codecBackends, decodeRecord, decodeVarint, encodeRecord } from '../src/index.js';
import { lz4CompressBlock, lz4DecompressBlock } from '../src/lz4.js';
import { setNativeEnabled } from '../src/native.js';
import { selectZstdBackend, zstdCompress, zstdDecompress, type ZstdNativeBackend } from '../src/zstd.js';
import { zstdEncoderAvailable } from './env.js';
import { fromHex } from './golden.js';
import { concatBytes, expectBytes } from '@nori/test-support';

const require = createRequire(import.meta.url);
const lz4napi = require('lz4-napi') as { uncompressSync(data: Uint8Array): Uint8Array };
const lz4js = require('lz4js') as {
  decompressBlock(src: Uint8Array, dst: Uint8Array, sIndex: number, sLength: number, dIndex: number): number;
};

/** zstd-napi, if it built (its CompressStream writes frames without a content size, like nori-wal). */
const zstdNapi = (() => {
  try {
    return require('zstd-napi') as { CompressStream: new (p: { compressionLevel: number }) => NodeJS.ReadWriteStream };
  } catch {
    return undefined;
  }
})();

afterEach(() => {
  setNativeEnabled(true);
  selectZstdBackend(undefined);
});

/** Byte equality without toEqual's per-element diff (slow on large arrays). */
function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.length).toBe(expected.length);
  expect(Buffer.compare(actual, expected)).toBe(0);
}

/** Node's zlib has zstd from 22.15 / 23.8; then it must be the native backend. */
const zlibHasZstd = typeof (zlib as { zstdCompressSync?: unknown }).zstdCompressSync === 'function';

/** The native zstd backends that load in this runtime (each one is tested, not just the default). */
const nativeZstdBackends = (['node:zlib', 'zstd-napi'] as const).filter((choice) => {
  const available = selectZstdBackend(choice);
  selectZstdBackend(undefined);
  return available;
});

function sample(kind: string, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = 0x9e3779b9;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = kind === 'random' ? x & 0xff : kind === 'text' ? 97 + ((i * 7) % 13) : kind === 'zeros' ? 0 : (i >> 4) & 0xff;
  }
  return out;
}

const samples = [
  ['empty', sample('zeros', 0)],
  ['1 byte', sample('random', 1)],
  ['12 random', sample('random', 12)],
  ['13 text', sample('text', 13)],
  ['64 random', sample('random', 64)],
  ['1 KiB text', sample('text', 1024)],
  ['4 KiB runs', sample('runs', 4096)],
  ['64 KiB random', sample('random', 65536)],
  ['200 KiB zeros', sample('zeros', 200 * 1024)],
] as const;

/**
 * Checks the LZ4 block format rules liblz4 (nori-wal's decoder) relies on: sequences stay in
 * bounds, the block ends with literals, the last match starts >= 12 bytes before the end and the
 * last 5 bytes are literals.
 */
function assertSpecCompliantBlock(block: Uint8Array, outLength: number): void {
  let s = 0;
  let d = 0;
  for (;;) {
    expect(s).toBeLessThan(block.length);
    const token = block[s++]!;
    let literals = token >> 4;
    if (literals === 15) for (let b = 255; b === 255;) literals += b = block[s++]!;
    s += literals;
    d += literals;
    if (s === block.length) break;
    const offset = block[s]! | (block[s + 1]! << 8);
    s += 2;
    expect(offset).toBeGreaterThan(0);
    expect(offset).toBeLessThanOrEqual(d);
    let match = token & 15;
    if (match === 15) for (let b = 255; b === 255;) match += b = block[s++]!;
    expect(d).toBeLessThanOrEqual(outLength - 12); // last match starts >= 12 bytes before the end
    d += match + 4;
    expect(d).toBeLessThanOrEqual(outLength - 5); // last 5 bytes are literals
  }
  expect(d).toBe(outLength);
}

describe.each([
  ['lz4-napi', true],
  ['lz4js (pure JS)', false],
])('lz4 via %s', (backend, native) => {
  for (const [name, data] of samples) {
    it(`${name}: record value is varint(original length) + a spec-compliant raw block`, () => {
      setNativeEnabled(native);
      expect(codecBackends().lz4).toBe(native ? 'lz4-napi' : 'lz4js');
      const record = encodeRecord({ key: 'k', value: data, compression: 'lz4' });
      const decoded = decodeRecord(record, 0, { copy: false });
      expect(decoded.kind).toBe('ok');
      if (decoded.kind !== 'ok') return;
      expectBytes(decoded.record.value, data);
      // locate the stored value: klen varint, vlen varint, flags, key
      const vlen = decodeVarint(record, 1);
      if (vlen.kind !== 'ok') throw new Error('bad vlen');
      const valueStart = 1 + vlen.length + 1 + 1;
      const stored = record.subarray(valueStart, valueStart + Number(vlen.value));
      const original = decodeVarint(stored);
      expect(original).toMatchObject({ kind: 'ok', value: BigInt(data.length) });
      if (original.kind !== 'ok') return;
      const block = stored.subarray(original.length);
      assertSpecCompliantBlock(block, data.length);
      // independent decoders agree: lz4-napi (4-byte size prefix rebuilt) and lz4js
      const framed = new Uint8Array(block.length + 4);
      new DataView(framed.buffer).setUint32(0, data.length, true);
      framed.set(block, 4);
      expectBytes(new Uint8Array(lz4napi.uncompressSync(framed)), data);
      const out = new Uint8Array(data.length);
      expect(lz4js.decompressBlock(block, out, 0, block.length, 0)).toBe(data.length);
      expectBytes(out, data);
      void backend;
    });
  }

  it('an empty value is the one-byte empty block, as nori-wal writes it', () => {
    setNativeEnabled(native);
    expect(Buffer.from(encodeRecord({ key: 'lz', value: new Uint8Array(0), compression: 'lz4' })).toString('hex')).toBe('0202046c7a0000785ea980');
  });

  it('rejects malformed blocks with ERR_DECOMPRESSION_FAILED', () => {
    setNativeEnabled(native);
    const bad: Array<[number[], number]> = [
      [[], 0],
      [[0xf0, 0xff, 0xff], 10], // literal run past the end
      [[0x10, 0x61, 0x05, 0x00], 10], // match offset before the start
      [[0x30, 0x61, 0x62, 0x63], 5], // expands to 3, header says 5
      [[0x30, 0x61, 0x62, 0x63], 2], // expands beyond the declared length
    ];
    for (const [block, length] of bad) {
      expect(() => lz4DecompressBlock(Uint8Array.from(block), length)).toThrow(expect.objectContaining({ code: 'ERR_DECOMPRESSION_FAILED' }));
    }
  });

  it('round-trips blocks across backends', () => {
    setNativeEnabled(native);
    const data = sample('text', 5000);
    const block = lz4CompressBlock(data);
    setNativeEnabled(!native);
    expectBytes(lz4DecompressBlock(block, data.length), data);
  });
});

/** Frames made by libzstd 1.5 (node:zlib, level 3) from sample('text', 1000) / sample('random', 100). */
const TEXT_1000_FRAME = fromHex('28b52ffd60e802a500006861686269636a646b656c666d670100d8a19a5f');
const RANDOM_100_FRAME = fromHex(
  '28b52ffd2064210300193e3ab51f37d0bf39b8eeb4d33cb85f8ade7d3fbfded8a21c49ea8ee174a69a6b41c77a7e7eaedf9d7329b4' +
    '76653da6db74cefd7d440f6877e529b894982ec053cfe2ecb0ab2cbdcbb7c7c0872b7601059ffbe084a486d81b6cf1691c090ff81b' +
    '0ceddd',
);
/** The text frame again, with the content checksum flag (XXH64 of the content, low 4 bytes, at the end). */
const TEXT_1000_CHECKSUM_FRAME = fromHex('28b52ffd64e802a500006861686269636a646b656c666d670100d8a19a5fe5183764');
/** A skippable frame (magic 0x184D2A50, 3 bytes of user data). */
const SKIPPABLE_FRAME = Uint8Array.of(0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3);

it('uses node:zlib for zstd exactly when Node has it, and tests every native backend that loads', () => {
  expect(nativeZstdBackends.includes('node:zlib')).toBe(zlibHasZstd);
  expect(codecBackends().zstd.decompress).toBe(nativeZstdBackends[0] ?? 'fzstd');
  setNativeEnabled(false);
  expect(codecBackends().zstd).toEqual({ compress: undefined, decompress: 'fzstd' });
});

describe.each([
  ...nativeZstdBackends.map((choice: ZstdNativeBackend) => [choice, () => selectZstdBackend(choice)] as const),
  ['fzstd (pure JS)', () => setNativeEnabled(false)] as const,
])('zstd decoding via %s', (name, useBackend) => {
  it.skipIf(!zstdEncoderAvailable)('decodes frames of every sample', () => {
    expect(codecBackends().zstd.compress).toMatch(/^(node:zlib|zstd-napi)$/);
    const frames = samples.map(([, data]) => zstdCompress(data));
    useBackend();
    expect(codecBackends().zstd.decompress).toBe(name === 'fzstd (pure JS)' ? 'fzstd' : name);
    for (const [i, [, data]] of samples.entries()) {
      const frame = frames[i]!;
      expect(Array.from(frame.subarray(0, 4))).toEqual([0x28, 0xb5, 0x2f, 0xfd]);
      expectSameBytes(zstdDecompress(frame, 1 << 26), data);
    }
  });

  it('decodes every frame of concatenated and skippable frames, like zstd::decode_all', () => {
    useBackend();
    const text = sample('text', 1000);
    const random = sample('random', 100);
    const cases: Array<[Uint8Array, Uint8Array]> = [
      [concatBytes([TEXT_1000_FRAME, RANDOM_100_FRAME]), concatBytes([text, random])],
      [concatBytes([TEXT_1000_FRAME, SKIPPABLE_FRAME, RANDOM_100_FRAME]), concatBytes([text, random])],
      [concatBytes([SKIPPABLE_FRAME, TEXT_1000_FRAME]), text],
      [concatBytes([TEXT_1000_FRAME, SKIPPABLE_FRAME]), text],
      [concatBytes([RANDOM_100_FRAME, TEXT_1000_FRAME, RANDOM_100_FRAME]), concatBytes([random, text, random])],
      [SKIPPABLE_FRAME, new Uint8Array(0)],
    ];
    for (const [input, expected] of cases) expectSameBytes(zstdDecompress(input, 1 << 20), expected);
  });

  it('applies the limit to the sum of all frames', () => {
    useBackend();
    const joined = concatBytes([TEXT_1000_FRAME, SKIPPABLE_FRAME, RANDOM_100_FRAME]);
    expect(zstdDecompress(joined, 1100).length).toBe(1100);
    expect(() => zstdDecompress(joined, 1099)).toThrow(expect.objectContaining({ code: 'ERR_RECORD_TOO_LARGE' }));
    expect(() => zstdDecompress(concatBytes([RANDOM_100_FRAME, TEXT_1000_FRAME]), 999)).toThrow(expect.objectContaining({ code: 'ERR_RECORD_TOO_LARGE' }));
  });

  it('rejects trailing bytes after the last frame (node:zlib alone ignores them)', () => {
    useBackend();
    for (const trailer of [[0x28], [1, 2, 3, 4, 5], [0, 0, 0, 0], [0x28, 0xb5, 0x2f, 0xfd]]) {
      expect(() => zstdDecompress(concatBytes([TEXT_1000_FRAME, Uint8Array.from(trailer)]), 1 << 20)).toThrow(
        expect.objectContaining({ code: 'ERR_DECOMPRESSION_FAILED' }),
      );
    }
  });

  it('rejects every truncation of a frame (node:zlib on Node 22 alone returns what it got)', () => {
    useBackend();
    for (const frame of [TEXT_1000_FRAME, RANDOM_100_FRAME, TEXT_1000_CHECKSUM_FRAME]) {
      for (let length = 1; length < frame.length; length++) {
        expect(() => zstdDecompress(frame.subarray(0, length), 1 << 20), `${length} of ${frame.length}`).toThrow(
          expect.objectContaining({ code: 'ERR_DECOMPRESSION_FAILED' }),
        );
      }
    }
  });

  it('refuses frames that need a dictionary, as libzstd does without one', () => {
    useBackend();
    // TEXT_1000_FRAME with the 1-byte dictionary ID field: ID 0 means none, any other needs a dictionary.
    const withDictId = (id: number) => concatBytes([TEXT_1000_FRAME.subarray(0, 4), Uint8Array.of(0x61, id), TEXT_1000_FRAME.subarray(5)]);
    expectSameBytes(zstdDecompress(withDictId(0), 1 << 20), sample('text', 1000));
    expect(() => zstdDecompress(withDictId(7), 1 << 20)).toThrow(expect.objectContaining({ code: 'ERR_DECOMPRESSION_FAILED' }));
  });

  it('verifies content checksums', () => {
    useBackend();
    expectSameBytes(zstdDecompress(TEXT_1000_CHECKSUM_FRAME, 1 << 20), sample('text', 1000));
    for (let bit = 0; bit < 32; bit++) {
      const bad = TEXT_1000_CHECKSUM_FRAME.slice();
      bad[bad.length - 4 + (bit >> 3)]! ^= 1 << (bit & 7);
      expect(() => zstdDecompress(bad, 1 << 20), `bit ${bit}`).toThrow(expect.objectContaining({ code: 'ERR_DECOMPRESSION_FAILED' }));
    }
  });

  it.skipIf(zstdNapi === undefined)('decodes multi-block frames without a content size (as nori-wal writes them)', async () => {
    const { CompressStream } = zstdNapi!;
    const data = new Uint8Array(400 * 1024);
    const text = sample('text', 3000);
    const noise = sample('random', data.length);
    for (let i = 0; i < data.length; i++) data[i] = i % 5 === 0 ? noise[i]! : text[(i * 7) % text.length]!;
    const stream = new CompressStream({ compressionLevel: 3 });
    const chunks: Uint8Array[] = [];
    stream.on('data', (chunk: Uint8Array) => chunks.push(chunk));
    const done = new Promise((resolve) => stream.on('end', resolve));
    stream.end(data);
    await done;
    const frame = concatBytes(chunks);
    expect(frame[4]! >> 6).toBe(0); // no frame content size
    expect(frame[4]! & 0x20).toBe(0); // not single-segment: a window descriptor follows
    useBackend();
    expectSameBytes(zstdDecompress(frame, 1 << 26), data);
  });

  it('stops a decompression bomb at the limit without a declared size', () => {
    // Frames without content size whose RLE blocks expand 128 KiB each: bound > limit -> streaming path
    const rle = [0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58]; // no FCS, window 2 MiB
    const block = (last: number) => {
      const header = ((128 * 1024) << 3) | (1 << 1) | last; // RLE, 128 KiB
      return [header & 0xff, (header >> 8) & 0xff, (header >> 16) & 0xff, 0x41];
    };
    const bytes = [...rle];
    for (let i = 0; i < 63; i++) bytes.push(...block(0));
    bytes.push(...block(1));
    const frame = Uint8Array.from(bytes); // 8 MiB of 'A'
    useBackend();
    expect(zstdDecompress(frame, 8 * 1024 * 1024).length).toBe(8 * 1024 * 1024);
    expect(() => zstdDecompress(frame, 1024 * 1024)).toThrow(expect.objectContaining({ code: 'ERR_RECORD_TOO_LARGE' }));
  });

  it.skipIf(!zstdEncoderAvailable)('fails cleanly on garbage and on truncated frames', () => {
    const frame = zstdCompress(sample('text', 3000));
    useBackend();
    for (const bad of [Uint8Array.of(1, 2, 3, 4, 5), frame.subarray(0, frame.length - 3), frame.subarray(0, 6)]) {
      expect(() => zstdDecompress(bad, 1 << 20)).toThrow(expect.objectContaining({ code: 'ERR_DECOMPRESSION_FAILED' }));
    }
  });
});

describe('zstd encoding', () => {
  it('without a native encoder, encoding throws ERR_COMPRESSION_UNAVAILABLE naming the providers; decoding still works', () => {
    // golden Rust vector "zstd + ttl"
    const record = Uint8Array.from(Buffer.from('02120ae7077a7328b52ffd00584d00001079790100430a60019029a5b6', 'hex'));
    setNativeEnabled(false); // pure JS only: node:zlib's zstd is off too
    expect(codecBackends().zstd.compress).toBeUndefined();
    let caught: unknown;
    try {
      encodeRecord({ key: 'z', value: 'zz', compression: 'zstd' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(CompressionUnavailableError);
    expect(caught).toMatchObject({ code: 'ERR_COMPRESSION_UNAVAILABLE', compression: 'zstd', operation: 'compress' });
    expect((caught as Error).message).toMatch(/zstd-napi/);
    expect((caught as Error).message).toMatch(/22\.15/);
    expect(decodeRecord(record)).toMatchObject({ kind: 'ok', record: { compression: 'zstd' } });
  });
});
