import { describe, expect, it } from 'vitest';
import { compareKeys, validateKey, validatePrefix } from '../src/index.js';

describe('keys', () => {
  it('counts the 1024-byte limit in UTF-8 bytes, not characters', () => {
    expect(() => validateKey('é'.repeat(512))).not.toThrow();
    expect(() => validateKey('é'.repeat(513))).toThrowError(expect.objectContaining({ code: 'ERR_INVALID_KEY' }));
  });

  it('accepts surrogate pairs and refuses lone halves', () => {
    expect(() => validateKey('emoji/\u{1F600}')).not.toThrow();
    expect(() => validateKey('x\uDC00')).toThrowError(expect.objectContaining({ code: 'ERR_INVALID_KEY' }));
  });

  it('accepts an empty prefix, partial segments and one trailing slash', () => {
    for (const prefix of ['', 'wal', 'wal/', 'wal/0000']) expect(() => validatePrefix(prefix)).not.toThrow();
    for (const prefix of ['/', 'wal//', '../']) expect(() => validatePrefix(prefix)).toThrowError(expect.objectContaining({ code: 'ERR_INVALID_KEY' }));
  });

  it('orders by UTF-8 bytes, where astral characters sort after U+FFFF-range ones', () => {
    expect(['\u{1F600}', '\uFF5E', 'Z', 'a'].sort(compareKeys)).toEqual(['Z', 'a', '\uFF5E', '\u{1F600}']);
  });
});
