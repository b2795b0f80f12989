import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesEqual, filled, firstByteMismatch, hex, indexOf, record, text, unhex } from '../src/index.js';

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
