import { describe, expect, it } from 'vitest';
import { decodeOperation, putRecord, resolveExpiry } from '../src/record-envelope.js';
import { thrownCode } from './helpers/error-code.js';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('record envelope', () => {
  it('writes plain puts byte for byte and TTL puts with an absolute expiry prefix', () => {
    const plain = putRecord(bytes('k'), bytes('v'), 0, 1000);
    expect(plain).toEqual({ key: bytes('k'), value: bytes('v') });
    const ttl = putRecord(bytes('k'), bytes('v'), 1_700_000_000_500, 1_700_000_000_000);
    expect(ttl.ttlMs).toBe(500);
    const decoded = decodeOperation({ key: ttl.key as Uint8Array, value: ttl.value as Uint8Array, tombstone: false, ttlMs: 500n });
    expect(decoded).toEqual({ kind: 'put', key: bytes('k'), value: bytes('v'), expiresAt: 1_700_000_000_500 });
  });

  it('decodes tombstones and rejects TTL records without a prefix', () => {
    expect(decodeOperation({ key: bytes('k'), value: new Uint8Array(), tombstone: true, ttlMs: undefined })).toEqual({ kind: 'delete', key: bytes('k') });
    expect(thrownCode(() => decodeOperation({ key: bytes('k'), value: bytes('short'), tombstone: false, ttlMs: 5n }))).toBe('ERR_INVALID_ARGUMENT');
  });

  it('resolves relative and absolute expiries', () => {
    expect(resolveExpiry({}, 100)).toBe(0);
    expect(resolveExpiry({ ttlMs: 50 }, 100)).toBe(150);
    expect(resolveExpiry({ expiresAt: 90 }, 100)).toBe(90);
    expect(thrownCode(() => resolveExpiry({ ttlMs: Number.MAX_SAFE_INTEGER }, 100))).toBe('ERR_INVALID_TTL');
    expect(thrownCode(() => resolveExpiry({ expiresAt: 1.5 }, 100))).toBe('ERR_INVALID_TTL');
  });
});
