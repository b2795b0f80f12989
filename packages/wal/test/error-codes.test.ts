import { describe, expect, expectTypeOf, it } from 'vitest';
import { Wal, WalError, type WalErrorCode } from '../src/index.js';

describe('WalError.code', () => {
  it('is typed as the closed union of codes (checked by pnpm typecheck)', () => {
    expectTypeOf<WalError['code']>().toEqualTypeOf<WalErrorCode>();
    // A switch over the union is exhaustive: a code outside it would not compile.
    const label = (code: WalErrorCode): string => code;
    expect(label(new WalError('ERR_CLOSED', 'closed').code)).toBe('ERR_CLOSED');
  });

  it('codec errors come through as WalErrors with a WalErrorCode', async () => {
    const { MemoryStorage } = await import('@nori/storage');
    const { wal } = await Wal.open({ storage: new MemoryStorage(), maxRecordSize: 1024 });
    const error = await wal.append({ key: 'k', value: new Uint8Array(4096) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WalError);
    expect((error as WalError).code).toBe('ERR_RECORD_TOO_LARGE');
    await wal.close();
  });
});
