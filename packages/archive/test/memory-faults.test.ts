import { describe, expect, it } from 'vitest';
import { ArchiveError, MemoryObjectStore, type MemoryObjectFault } from '../src/index.js';

const encoder = new TextEncoder();

async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    if (!(error instanceof ArchiveError)) throw error;
    return error.code;
  }
}

/** Runs a fixed workload under random faults; returns what the caller saw and what was stored. */
async function randomRun(seed: number): Promise<{ seen: string[]; keys: string[] }> {
  const store = new MemoryObjectStore({ seed, faults: [{ kind: 'random', probability: 0.4 }] });
  const seen: string[] = [];
  for (let i = 0; i < 30; i++) {
    const key = `k/${i % 7}`;
    seen.push(await outcome(i % 3 === 0 ? store.delete(key) : store.put(key, encoder.encode(String(i)), { ifNoneMatch: '*' })));
    seen.push(await outcome(store.head(key)));
  }
  store.clearFaults();
  return { seen, keys: store.keys() };
}

describe('MemoryObjectStore faults', () => {
  it('gives the same outcomes for the same seed and different ones for other seeds', async () => {
    const first = await randomRun(5);
    expect(await randomRun(5)).toEqual(first);
    const others = await Promise.all([6, 7, 8].map(randomRun));
    expect(others.some((run) => JSON.stringify(run) !== JSON.stringify(first))).toBe(true);
    expect(new Set(first.seen)).toEqual(new Set(['ok', 'ERR_UNAVAILABLE', 'ERR_TIMEOUT', 'ERR_NOT_FOUND', 'ERR_PRECONDITION_FAILED']));
  });

  it('makes a timed-out put take effect for some seeds and not for others', async () => {
    const applied = new Set<boolean>();
    for (let seed = 1; seed <= 16; seed++) {
      const store = new MemoryObjectStore({ seed, faults: [{ kind: 'timeout', op: 'put', times: 1 }] });
      expect(await outcome(store.put('t', encoder.encode('x')))).toBe('ERR_TIMEOUT');
      applied.add(store.keys().includes('t'));
    }
    expect(applied).toEqual(new Set([true, false]));
  });

  it('applies a put whose response is lost, and a delete likewise', async () => {
    const store = new MemoryObjectStore({ faults: [{ kind: 'lost-response', times: 2 }] });
    expect(await outcome(store.put('l', encoder.encode('x')))).toBe('ERR_UNAVAILABLE');
    expect(store.keys()).toEqual(['l']);
    expect(await outcome(store.get('l'))).toBe('ok'); // reads are never hit by lost responses
    expect(await outcome(store.delete('l'))).toBe('ERR_UNAVAILABLE');
    expect(store.keys()).toEqual([]);
    expect(await outcome(store.put('l', encoder.encode('x')))).toBe('ok');
  });

  it('targets faults by op and key and counts times', async () => {
    const store = new MemoryObjectStore({ faults: [{ kind: 'unavailable', op: 'get', key: 'a', times: 2 }] });
    await store.put('a', encoder.encode('a'));
    await store.put('b', encoder.encode('b'));
    expect(await outcome(store.get('b'))).toBe('ok');
    expect(await outcome(store.head('a'))).toBe('ok');
    expect(await outcome(store.get('a'))).toBe('ERR_UNAVAILABLE');
    expect(await outcome(store.get('a'))).toBe('ERR_UNAVAILABLE');
    expect(await outcome(store.get('a'))).toBe('ok');
  });

  it('fails a listing mid-way when a later page is hit', async () => {
    const store = new MemoryObjectStore({ listPageSize: 2 });
    for (const key of ['p/1', 'p/2', 'p/3']) await store.put(key, encoder.encode(key));
    store.injectFault({ kind: 'unavailable', op: 'list', times: 1 });
    const seen: string[] = [];
    const iterate = async (): Promise<void> => {
      for await (const entry of store.list('p/')) seen.push(entry.key);
    };
    expect(await outcome(iterate())).toBe('ERR_UNAVAILABLE');
    expect(seen).toEqual([]);
    await iterate();
    expect(seen).toEqual(['p/1', 'p/2', 'p/3']);
  });

  it('clearFaults disarms everything', async () => {
    const store = new MemoryObjectStore({ faults: [{ kind: 'unavailable' }, { kind: 'random', probability: 1 }] });
    expect(await outcome(store.put('c', encoder.encode('c')))).toBe('ERR_UNAVAILABLE');
    store.clearFaults();
    expect(await outcome(store.put('c', encoder.encode('c')))).toBe('ok');
  });

  it.each<[string, MemoryObjectFault]>([
    ['lost-response on a read', { kind: 'lost-response', op: 'get' as 'put' }],
    ['zero times', { kind: 'unavailable', times: 0 }],
    ['a probability above 1', { kind: 'random', probability: 1.5 }],
    ['no effects', { kind: 'random', probability: 0.5, effects: [] }],
    ['an unknown kind', { kind: 'gremlin' } as unknown as MemoryObjectFault],
    ['an unknown op', { kind: 'timeout', op: 'copy' as 'put' }],
  ])('refuses a fault with %s (ERR_INVALID_ARGUMENT)', (_label, fault) => {
    expect(() => new MemoryObjectStore().injectFault(fault)).toThrowError(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
  });

  it('refuses a bad seed or list page size', () => {
    expect(() => new MemoryObjectStore({ seed: 1.5 })).toThrowError(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    expect(() => new MemoryObjectStore({ listPageSize: 0 })).toThrowError(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
  });
});
