import { describe, expect, it } from 'vitest';
import { lockNonce, randomHex } from '../src/random.js';

describe('randomHex / lockNonce (no node:crypto at import)', () => {
  it('returns the asked number of random bytes as hex, different every call', () => {
    for (const bytes of [1, 6, 12, 300]) {
      const seen = new Set<string>();
      for (let i = 0; i < 50; i++) {
        const hex = randomHex(bytes);
        expect(hex).toMatch(new RegExp(`^[0-9a-f]{${bytes * 2}}$`));
        seen.add(hex);
      }
      // 50 draws of >= 8 random bits: a repeat is possible only for 1 byte.
      if (bytes > 1) expect(seen.size).toBe(50);
    }
  });

  it('a lock nonce is 12 random bytes', () => {
    expect(lockNonce()).toMatch(/^[0-9a-f]{24}$/);
    expect(lockNonce()).not.toBe(lockNonce());
  });
});
