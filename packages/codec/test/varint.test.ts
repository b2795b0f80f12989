import { describe, expect, it } from 'vitest';
import { MAX_VARINT_LENGTH, decodeVarint, encodeVarint, varintLength } from '../src/index.js';

describe('varint (LEB128 u64)', () => {
  const cases: Array<[bigint, string]> = [
    [0n, '00'],
    [1n, '01'],
    [127n, '7f'],
    [128n, '8001'],
    [300n, 'ac02'],
    [16383n, 'ff7f'],
    [16384n, '808001'],
    [86_400_000n, '80b89929'],
    [2n ** 53n, '8080808080808010'],
    [2n ** 64n - 1n, 'ffffffffffffffffff01'],
  ];
  for (const [value, hex] of cases) {
    it(`${value} <-> ${hex}`, () => {
      expect(Buffer.from(encodeVarint(value)).toString('hex')).toBe(hex);
      if (value <= BigInt(Number.MAX_SAFE_INTEGER)) {
        expect(Buffer.from(encodeVarint(Number(value))).toString('hex')).toBe(hex);
        expect(varintLength(Number(value))).toBe(hex.length / 2);
      }
      expect(varintLength(value)).toBe(hex.length / 2);
      expect(decodeVarint(Buffer.from(hex, 'hex'))).toEqual({ kind: 'ok', value, length: hex.length / 2 });
    });
  }

  it('u64::MAX takes the maximum length', () => {
    expect(varintLength(2n ** 64n - 1n)).toBe(MAX_VARINT_LENGTH);
  });

  it('reports a cut varint as incomplete', () => {
    expect(decodeVarint(Uint8Array.of(0x80, 0x80))).toEqual({ kind: 'incomplete' });
    expect(decodeVarint(new Uint8Array(0))).toEqual({ kind: 'incomplete' });
    expect(decodeVarint(Uint8Array.of(0x05, 0x80), 1)).toEqual({ kind: 'incomplete' });
  });

  it('reports an 11th byte as overflow (nori-wal: shift >= 64)', () => {
    expect(decodeVarint(new Uint8Array(16).fill(0xff))).toEqual({ kind: 'overflow' });
    expect(decodeVarint(Uint8Array.of(...new Array<number>(10).fill(0x80), 0x00))).toEqual({ kind: 'overflow' });
    // 10 continuation bytes and nothing more: still waiting for bytes
    expect(decodeVarint(new Uint8Array(10).fill(0x80))).toEqual({ kind: 'incomplete' });
  });

  it('drops bits beyond 64 in the 10th byte, as Rust does', () => {
    const bytes = Uint8Array.of(0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7e);
    expect(decodeVarint(bytes)).toEqual({ kind: 'ok', value: 1n, length: 10 });
  });

  it('rejects values outside u64', () => {
    expect(() => encodeVarint(-1)).toThrow(RangeError);
    expect(() => encodeVarint(1.5)).toThrow(RangeError);
    expect(() => encodeVarint(2n ** 64n)).toThrow(RangeError);
  });
});
