import { execFileSync } from 'node:child_process';
import { afterAll, expect, it } from 'vitest';
import { ArchiveError, S3ObjectStore } from '../src/index.js';
import { describeS3, uniquePrefix } from './s3-env.js';

const encoder = new TextEncoder();

describeS3('S3ObjectStore across an RGW restart', (env) => {
  const control = env.rgwControl;
  const ci = process.env['CI'] !== undefined && process.env['CI'] !== '';
  if (control === undefined && !ci) console.warn('skipping the RGW restart test: NORI_RGW_CTL not set (the store is not the project RGW)');

  const store = new S3ObjectStore({ ...env.config, prefix: uniquePrefix('restart'), maxAttempts: 2 });
  afterAll(() => store.destroy());

  function gateway(command: 'stop-gateway' | 'start-gateway'): void {
    execFileSync('bash', [control as string, command], { stdio: 'inherit', timeout: 60_000 });
  }

  it.skipIf(control === undefined && !ci)('reports ERR_UNAVAILABLE while RGW is down and works again after it restarts', async () => {
    expect(control, 'CI runs the restart test against the project RGW: NORI_RGW_CTL must be set').toBeDefined();
    const key = (i: number): string => `seq/${String(i).padStart(6, '0')}`;
    for (let i = 0; i < 3; i++) await store.put(key(i), encoder.encode(`record ${i}`), { ifNoneMatch: '*' });

    gateway('stop-gateway');
    try {
      let error: unknown;
      try {
        await store.put(key(3), encoder.encode('record 3'), { ifNoneMatch: '*' });
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ArchiveError);
      expect((error as ArchiveError).code).toBe('ERR_UNAVAILABLE');
      expect((error as ArchiveError).retryable).toBe(true);
    } finally {
      gateway('start-gateway');
    }

    // The same store object (same client, fresh sockets) carries on; the failed put is retried.
    for (let i = 3; i < 6; i++) await store.put(key(i), encoder.encode(`record ${i}`), { ifNoneMatch: '*' });
    const keys: string[] = [];
    for await (const entry of store.list('seq/')) keys.push(entry.key);
    expect(keys).toEqual([0, 1, 2, 3, 4, 5].map(key));
    for (let i = 0; i < 6; i++) expect(new TextDecoder().decode((await store.get(key(i))).bytes)).toBe(`record ${i}`);
  });
});
