import { MemoryStorage, tmpNameOf, type Storage } from '@nori/storage';
import { describe, expect, it } from 'vitest';
import { Wal, WalError } from '../src/index.js';
import { INDEX_FILE } from '../src/index-file.js';
import { SEALED_SEGMENTS_TMP } from '../src/sealed-segments.js';
import { SKIPPED_REGIONS_TMP } from '../src/skipped-regions.js';
import { SPARE_SUFFIX } from '../src/spare-segment.js';
import { record } from '@nori/test-support';

const SPARE = `000001.wal${SPARE_SUFFIX}`;
const LEFTOVERS = [SPARE, SEALED_SEGMENTS_TMP, SKIPPED_REGIONS_TMP, tmpNameOf(INDEX_FILE)];

/** Storage methods the open path awaits; the probe counts how many run at the same time. */
const PROBED = new Set<PropertyKey>(['exists', 'list', 'open', 'remove']);

/** Wraps `inner` so that the peak number of storage calls in flight at once is observable. */
function concurrencyProbe(inner: Storage): { storage: Storage; peak: () => number; reset: () => void } {
  let inFlight = 0;
  let peak = 0;
  const storage = new Proxy(inner, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      const method = (value as (...args: unknown[]) => unknown).bind(target);
      if (!PROBED.has(property)) return method;
      return async (...args: unknown[]) => {
        inFlight += 1;
        peak = Math.max(peak, inFlight);
        try {
          return await method(...args);
        } finally {
          inFlight -= 1;
        }
      };
    },
  });
  return { storage, peak: () => peak, reset: () => void (peak = 0) };
}

describe('Wal.open file operations', () => {
  it('removes leftovers and reads the index anchor concurrently, and still removes every leftover', async () => {
    const memory = new MemoryStorage();
    const first = await Wal.open({ storage: memory });
    await first.wal.append(record(1));
    await first.wal.close();
    // Leftovers of interrupted writes, as a crash leaves them.
    for (const name of LEFTOVERS) {
      const file = await memory.open(name, { create: true });
      await file.close();
    }
    const probe = concurrencyProbe(memory);
    const { wal } = await Wal.open({ storage: probe.storage });
    await wal.close();
    expect(probe.peak()).toBeGreaterThan(1);
    const left = (await memory.list()).filter((name) => LEFTOVERS.includes(name));
    expect(left).toEqual([]);
  });

  it('a failing leftover removal is an ERR_IO WalError naming the cleanup', async () => {
    const memory = new MemoryStorage();
    const first = await Wal.open({ storage: memory });
    await first.wal.close();
    const spare = await memory.open(SPARE, { create: true });
    await spare.close();
    const failing = new Proxy(memory, {
      get(target, property, receiver) {
        if (property === 'remove') return () => Promise.reject(Object.assign(new Error('disk gone'), { code: 'EIO' }));
        const value: unknown = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const error = await Wal.open({ storage: failing }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WalError);
    expect((error as WalError).code).toBe('ERR_IO');
    expect((error as WalError).message).toContain('removing leftover files');
  });
});
