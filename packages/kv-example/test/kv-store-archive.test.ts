import { MemoryObjectStore, promote } from '@nori/archive';
import { MemoryStorage } from '@nori/storage';
import { describe, expect, it } from 'vitest';
import { KvStore } from '../src/index.js';

const PREFIX = 'kv';
/** Fast retries, so a cleared store fault is noticed at once. */
const RETRY = { initialDelayMs: 1, maxDelayMs: 5 };

function settledFlag(promise: Promise<unknown>): { settled: boolean } {
  const flag = { settled: false };
  promise.then(
    () => (flag.settled = true),
    () => (flag.settled = true),
  );
  return flag;
}

/** Promotes the archive into fresh storage and opens a store on it (the old machine is gone). */
async function promoteStore(store: MemoryObjectStore): Promise<{ kv: KvStore; generation: number }> {
  const storage = new MemoryStorage();
  const promotion = await promote({ store, prefix: PREFIX, storage });
  const generation = promotion.report.generation;
  await promotion.close({ flush: true });
  const kv = await KvStore.open({ storage, archive: { store, prefix: PREFIX, retry: RETRY } });
  return { kv, generation };
}

describe('KvStore with the archive option (remote-durable writes)', () => {
  it('acknowledges a write only once it is in the object store', async () => {
    const store = new MemoryObjectStore({ seed: 1 });
    const kv = await KvStore.open({ storage: new MemoryStorage(), archive: { store, prefix: PREFIX, retry: RETRY } });
    store.injectFault({ kind: 'unavailable', op: 'put' });
    const put = kv.put('user:1', 'ada');
    const flag = settledFlag(put);
    // Locally the write is durable within milliseconds; with the store down it must still wait.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(flag.settled).toBe(false);
    store.clearFaults();
    await put;
    const { kv: promoted } = await promoteStore(store);
    expect(promoted.getString('user:1')).toBe('ada');
    await promoted.close();
    await kv.close().catch(() => undefined);
  });

  it('puts, deletes, TTLs and batches all reach the archive; the promoted store accepts writes and fences the old one', async () => {
    const store = new MemoryObjectStore({ seed: 2 });
    const storage = new MemoryStorage();
    const old = await KvStore.open({ storage, archive: { store, prefix: PREFIX, retry: RETRY } });
    const expiresAt = Date.now() + 3_600_000;
    await Promise.all([old.put('a', '1'), old.put('b', '2'), old.put('s', 'token', { expiresAt })]);
    await old.delete('a');
    await old.batch([
      { type: 'put', key: 'order:1', value: '{"total":3}' },
      { type: 'del', key: 'b' },
    ]);
    // No close: the machine is lost with the store open.
    const { kv, generation } = await promoteStore(store);
    expect(generation).toBe(2);
    expect([...kv.scan()].map((e) => new TextDecoder().decode(e.key))).toEqual(['order:1', 's']);
    expect(kv.getEntry('s')?.expiresAt).toBe(expiresAt);
    await kv.put('after', 'promotion');
    await expect(old.put('late', 'x')).rejects.toMatchObject({ code: 'ERR_FENCED' });
    await old.close(); // a fenced store still closes: its WAL and lock are released
    await kv.close();

    const { kv: again } = await promoteStore(store);
    expect(again.getString('after')).toBe('promotion');
    expect(again.has('late')).toBe(false);
    await again.close();
  });

  it('refuses the archive option on a read-only store', async () => {
    const storage = new MemoryStorage();
    await (await KvStore.open({ storage })).close();
    const store = new MemoryObjectStore({ seed: 3 });
    await expect(KvStore.open({ storage, readOnly: true, archive: { store, prefix: PREFIX } })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
  });

  it('fails to open with ERR_FENCED when another primary owns the prefix', async () => {
    const store = new MemoryObjectStore({ seed: 4 });
    const first = await KvStore.open({ storage: new MemoryStorage(), archive: { store, prefix: PREFIX, retry: RETRY } });
    await first.put('k', 'v');
    await expect(KvStore.open({ storage: new MemoryStorage(), archive: { store, prefix: PREFIX, retry: RETRY } })).rejects.toMatchObject({
      code: 'ERR_FENCED',
    });
    await first.close();
  });
});
