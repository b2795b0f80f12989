import { describe, expect, it } from 'vitest';
import { decodeIntentEntries, encodeIntentEntry } from '../src/batch-intent.js';

describe('batches.intent entries', () => {
  const a = [{ segmentId: 3, start: 100, end: 500 }];
  const b = [
    { segmentId: 3, start: 500, end: 900 },
    { segmentId: 3, start: 950, end: 2_000_000_000_000 },
  ];

  it('round-trips entries back to back', () => {
    const bytes = Buffer.concat([encodeIntentEntry(a), encodeIntentEntry(b)]);
    expect(decodeIntentEntries(new Uint8Array(bytes))).toEqual([...a, ...b]);
  });

  it('stops at a torn or damaged entry (its batch data was never written)', () => {
    const first = encodeIntentEntry(a);
    const second = encodeIntentEntry(b);
    const both = new Uint8Array(Buffer.concat([first, second]));
    for (let cut = first.length; cut < both.length; cut++) {
      expect(decodeIntentEntries(both.subarray(0, cut))).toEqual(a);
    }
    const damaged = both.slice();
    damaged[first.length + 12] = (damaged[first.length + 12] as number) ^ 1;
    expect(decodeIntentEntries(damaged)).toEqual(a);
    expect(decodeIntentEntries(new Uint8Array(64))).toEqual([]);
  });
});
