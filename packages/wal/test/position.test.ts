import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WalError, comparePositions, formatPosition, parsePosition } from '../src/index.js';

describe('position text form', () => {
  it('formats as SEGMENT:OFFSET and parses back, also a bare segment', () => {
    expect(formatPosition({ segmentId: 3, offset: 4096 })).toBe('3:4096');
    expect(parsePosition('3:4096')).toEqual({ segmentId: 3, offset: 4096 });
    expect(parsePosition(' 7 ')).toEqual({ segmentId: 7, offset: 0 });
  });

  it('round-trips every position', () => {
    const position = fc.record({ segmentId: fc.nat(), offset: fc.maxSafeNat() });
    fc.assert(fc.property(position, (p) => comparePositions(parsePosition(formatPosition(p)), p) === 0));
  });

  it.each(['', ':', '1:', ':5', '-1:0', '1:-2', '1.5:0', '0x10:0', '1:2:3', '99999999999999999999:0'])('rejects %j with ERR_INVALID_POSITION', (text) => {
    let error: unknown;
    try {
      parsePosition(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WalError);
    expect(error).toMatchObject({ code: 'ERR_INVALID_POSITION' });
    expect((error as Error).message).toContain(JSON.stringify(text).slice(1, -1));
  });

  it('rejects a non-string with a typed error, not a TypeError', () => {
    expect(() => parsePosition(42 as unknown as string)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_POSITION' }));
  });
});
