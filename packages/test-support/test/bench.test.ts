import { describe, expect, it } from 'vitest';
import { median, percentile } from '../src/bench.js';

describe('bench statistics', () => {
  it('median: middle value, mean of the two middle values for an even count, unsorted input left alone', () => {
    const input = [5, 1, 3];
    expect(median(input)).toBe(3);
    expect(input).toEqual([5, 1, 3]);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow('median of no values');
  });

  it('percentile: nearest rank, clamped to the list', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile(values, 0)).toBe(1);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
  });
});
