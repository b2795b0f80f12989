import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CompressionUnavailableError, codecBackends, decodeRecord, decodeVarint, encodeRecord,
} from '../src/index.js';
import { lz4CompressBlock, lz4DecompressBlock } from '../src/lz4.js';
import { setNativeEnabled } from '../src/native.js';
import { zstdCompress, zstdDecompress } from '../src/zstd.js';
import { firstByteDifference } from './bytes.js';
import { zstdEncoderAvailable } from './env.js';

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
    if (literals === 15) for (let b = 255; b === 255; ) literals += b = block[s++]!;
    s += literals;
    d += literals;
    if (s === block.length) break;
    const offset = block[s]! | (block[s + 1]! << 8);
    s += 2;
    expect(offset).toBeGreaterThan(0);
    expect(offset).toBeLessThanOrEqual(d);
    let match = token & 15;
    if (match === 15) for (let b = 255; b === 255; ) match += b = block[s++]!;
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
      expect(firstByteDifference(decoded.record.value, data)).toBe(-1);
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
      expect(firstByteDifference(new Uint8Array(lz4napi.uncompressSync(framed)), data)).toBe(-1);
      const out = new Uint8Array(data.length);
      expect(lz4js.decompressBlock(block, out, 0, block.length, 0)).toBe(data.length);
      expect(firstByteDifference(out, data)).toBe(-1);
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
      expect(() => lz4DecompressBlock(Uint8Array.from(block), length)).toThrow(
        expect.objectContaining({ code: 'ERR_DECOMPRESSION_FAILED' }),
      );
    }
  });

  it('round-trips blocks across backends', () => {
    setNativeEnabled(native);
    const data = sample('text', 5000);
    const block = lz4CompressBlock(data);
    setNativeEnabled(!native);
    expect(lz4DecompressBlock(block, data.length)).toEqual(data);
  });
});

describe.each([
  ['native decoder', true],
  ['fzstd (pure JS)', false],
])('zstd decoding via %s', (_name, native) => {
  it.skipIf(!zstdEncoderAvailable)('decodes frames of every sample', () => {
    expect(codecBackends().zstd.compress).toMatch(/^(node:zlib|zstd-napi)$/);
    const frames = samples.map(([, data]) => zstdCompress(data));
    setNativeEnabled(native);
    expect(codecBackends().zstd.decompress).toMatch(native ? /^(node:zlib|zstd-napi)$/ : /^fzstd$/);
    for (const [i, [, data]] of samples.entries()) {
      const frame = frames[i]!;
      expect(Array.from(frame.subarray(0, 4))).toEqual([0x28, 0xb5, 0x2f, 0xfd]);
      expect(firstByteDifference(zstdDecompress(frame, 1 << 26), data)).toBe(-1);
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
    const frame = Uint8Array.from(Buffer.concat(chunks));
    expect(frame[4]! >> 6).toBe(0); // no frame content size
    expect(frame[4]! & 0x20).toBe(0); // not single-segment: a window descriptor follows
    setNativeEnabled(native);
    expect(firstByteDifference(zstdDecompress(frame, 1 << 26), data)).toBe(-1);
  });

  it.skipIf(!zstdEncoderAvailable)('decodes concatenated frames and skippable frames', () => {
    const a = zstdCompress(sample('text', 1000));
    const b = zstdCompress(sample('random', 100));
    setNativeEnabled(native);
    const skippable = Uint8Array.of(0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3);
    const joined = new Uint8Array(a.length + skippable.length + b.length);
    joined.set(a);
    joined.set(skippable, a.length);
    joined.set(b, a.length + skippable.length);
    const out = zstdDecompress(joined, 1 << 20);
    expect(out.length).toBe(1100);
    expect(out.subarray(1000)).toEqual(sample('random', 100));
  });

  it('stops a decompression bomb at the limit without a declared size', () => {
    // Frames without content size whose RLE blocks expand 128 KiB each: bound > limit -> streaming path
    const rle = [0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58]; // no FCS, window 2 MiB
    const block = (last: number) => {
      const header = (128 * 1024) << 3 | (1 << 1) | last; // RLE, 128 KiB
      return [header & 0xff, (header >> 8) & 0xff, (header >> 16) & 0xff, 0x41];
    };
    const bytes = [...rle];
    for (let i = 0; i < 63; i++) bytes.push(...block(0));
    bytes.push(...block(1));
    const frame = Uint8Array.from(bytes); // 8 MiB of 'A'
    setNativeEnabled(native);
    expect(zstdDecompress(frame, 8 * 1024 * 1024).length).toBe(8 * 1024 * 1024);
    expect(() => zstdDecompress(frame, 1024 * 1024)).toThrow(expect.objectContaining({ code: 'ERR_RECORD_TOO_LARGE' }));
  });

  it.skipIf(!zstdEncoderAvailable)('fails cleanly on garbage and on truncated frames', () => {
    const frame = zstdCompress(sample('text', 3000));
    setNativeEnabled(native);
    for (const bad of [Uint8Array.of(1, 2, 3, 4, 5), frame.subarray(0, frame.length - 3), frame.subarray(0, 6)]) {
      expect(() => zstdDecompress(bad, 1 << 20)).toThrow(expect.objectContaining({ code: 'ERR_DECOMPRESSION_FAILED' }));
    }
  });
});

describe('zstd encoding', () => {
  it('without a native encoder, encoding throws ERR_COMPRESSION_UNAVAILABLE naming the providers; decoding still works', () => {
    // golden Rust vector "zstd + ttl"
    const record = Uint8Array.from(Buffer.from('02120ae7077a7328b52ffd00584d00001079790100430a60019029a5b6', 'hex'));
    setNativeEnabled(false);
    if (codecBackends().zstd.compress === 'node:zlib') return; // Node >= 22.15 has it built in
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
