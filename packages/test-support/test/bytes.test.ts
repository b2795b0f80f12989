import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesEqual, expectByteArrays, expectBytes, filled, firstByteMismatch, hex, indexOf, record, text, unhex } from '../src/index.js';

describe('byte helpers', () => {
  it('round-trips hex of any bytes, also of a view into a larger buffer', () => {
    fc.assert(
      fc.property(fc.uint8Array(), fc.nat(8), (bytes, pad) => {
        const big = new Uint8Array(bytes.length + 2 * pad);
        big.set(bytes, pad);
        const view = big.subarray(pad, pad + bytes.length);
        expect(hex(view)).toBe(Buffer.from(bytes).toString('hex'));
        expect(bytesEqual(unhex(hex(view)), bytes)).toBe(true);
      }),
    );
  });

  it('expectBytes passes on equal bytes and fails on any one-byte difference, naming its offset', () => {
    const big = record(7, 1 << 20).value;
    const copy = Uint8Array.from(big);
    expectBytes(copy, big);
    for (const at of [0, 123_457, big.length - 1]) {
      const changed = Uint8Array.from(big);
      changed[at] = (changed[at] ?? 0) ^ 1;
      expect(() => expectBytes(changed, big)).toThrow(`bytes differ at offset ${at} `);
    }
    expect(() => expectBytes(big.subarray(0, 10), big)).toThrow('differ at offset 10 (lengths 10 and 1048576)');
    expect(() => expectBytes(new Uint8Array(0), filled(1, 0))).toThrow('offset 0');
  });

  it('expectByteArrays fails on a one-byte difference in any array and on a missing or extra array', () => {
    const arrays = Array.from({ length: 300 }, (_, i) => record(i, 1000).value);
    const copies = arrays.map((a) => Uint8Array.from(a));
    expectByteArrays(copies, arrays);
    const changed = copies.map((a) => Uint8Array.from(a));
    const last = changed[299] as Uint8Array;
    last[999] = (last[999] ?? 0) ^ 0x80;
    expect(() => expectByteArrays(changed, arrays)).toThrow('arrays[299] differ at offset 999');
    expect(() => expectByteArrays(copies.slice(1), arrays)).toThrow('arrays[0] differ');
    expect(() => expectByteArrays(copies.slice(0, 299), arrays)).toThrow('299 byte arrays, expected 300');
  });

  it('finds the first differing array, a missing one, or none', () => {
    const a = [filled(3, 1), filled(4, 2)];
    expect(firstByteMismatch(a, [filled(3, 1), filled(4, 2)])).toBe(-1);
    expect(firstByteMismatch(a, [filled(3, 1), filled(4, 3)])).toBe(1);
    expect(firstByteMismatch(a, [filled(3, 1)])).toBe(1);
    expect(firstByteMismatch([filled(2, 0)], [filled(3, 0)])).toBe(0);
  });

  it('compares 3 MiB of views without vitest deep equality', () => {
    const chunks = Array.from({ length: 3000 }, (_, i) => record(i, 1000).value);
    const copies = chunks.map((chunk) => Uint8Array.from(chunk));
    expect(firstByteMismatch(chunks, copies)).toBe(-1);
    const last = copies[2999] as Uint8Array;
    last[999] = (last[999] as number) ^ 1;
    expect(firstByteMismatch(chunks, copies)).toBe(2999);
  });
});

describe('record factory', () => {
  it('numbers keys so indexOf reads them back and values differ per record', () => {
    const r = record(42, 8);
    expect(r.key).toBe('key-00042');
    expect(indexOf(new TextEncoder().encode(r.key))).toBe(42);
    expect(bytesEqual(r.value, record(43, 8).value)).toBe(false);
    expect(text(new TextEncoder().encode('héllo'))).toBe('héllo');
  });
});
