import fs from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
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

  it('falls back to node:crypto where /dev/urandom cannot be opened (Windows)', () => {
    const realOpen = fs.openSync;
    const spy = vi.spyOn(fs, 'openSync').mockImplementation((path, ...rest) => {
      if (path === '/dev/urandom') throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
      return realOpen(path, ...rest);
    });
    try {
      const a = randomHex(12);
      const b = randomHex(12);
      expect(a).toMatch(/^[0-9a-f]{24}$/);
      expect(a).not.toBe(b);
      expect(spy).toHaveBeenCalledWith('/dev/urandom', 'r');
    } finally {
      spy.mockRestore();
    }
  });
});
