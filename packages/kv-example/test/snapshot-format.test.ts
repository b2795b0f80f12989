import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { thrownCode } from './helpers/error-code.js';
import { SNAPSHOT_VERSION, decodeSnapshot, encodeSnapshot, type SnapshotEntry } from '../src/index.js';

function decodeAll(bytes: Uint8Array): { entries: SnapshotEntry[]; header: ReturnType<typeof decodeSnapshot> } {
  const entries: SnapshotEntry[] = [];
  const header = decodeSnapshot(bytes, 'test', (entry) => entries.push(entry));
  return { entries, header };
}

const entryArbitrary = fc.record({
  key: fc.uint8Array({ minLength: 1, maxLength: 24 }),
  value: fc.uint8Array({ maxLength: 64 }),
  expiresAt: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER })),
});

describe('snapshot format', () => {
  it('round-trips header and entries', () => {
    fc.assert(
      fc.property(
        fc.array(entryArbitrary, { maxLength: 20 }),
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.integer({ min: 0, max: 2 ** 40 }),
        (entries, segmentId, offset) => {
          const bytes = encodeSnapshot({ segmentId, offset }, entries, 1_700_000_000_000);
          const decoded = decodeAll(bytes);
          expect(decoded.header).toEqual({ version: SNAPSHOT_VERSION, position: { segmentId, offset }, entries: entries.length, createdAt: 1_700_000_000_000 });
          expect(decoded.entries).toEqual(entries);
        },
      ),
    );
  });

  it('detects every single-byte corruption', () => {
    fc.assert(
      fc.property(fc.array(entryArbitrary, { minLength: 1, maxLength: 5 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (entries, at, flip) => {
        const bytes = encodeSnapshot({ segmentId: 1, offset: 0 }, entries, 0);
        const index = at % bytes.length;
        bytes[index] = (bytes[index] as number) ^ flip;
        const code = thrownCode(() => decodeAll(bytes));
        // Flipping the version field reports the version; anything else is corruption.
        expect(code).toBe(index >= 8 && index < 12 ? 'ERR_SNAPSHOT_VERSION' : 'ERR_SNAPSHOT_CORRUPT');
      }),
    );
  });

  it('detects truncation at every length', () => {
    const bytes = encodeSnapshot({ segmentId: 3, offset: 99 }, [{ key: new Uint8Array([1]), value: new Uint8Array([2, 3]), expiresAt: 7 }], 1);
    for (let length = 0; length < bytes.length; length++) {
      expect(
        thrownCode(() => decodeAll(bytes.subarray(0, length))),
        `length ${length}`,
      ).toBe('ERR_SNAPSHOT_CORRUPT');
    }
  });

  it('reports an unknown version before checking the checksum', () => {
    const bytes = encodeSnapshot({ segmentId: 1, offset: 0 }, [], 0);
    new DataView(bytes.buffer).setUint32(8, SNAPSHOT_VERSION + 1, true);
    expect(() => decodeAll(bytes)).toThrow(/format version 2/);
  });
});
