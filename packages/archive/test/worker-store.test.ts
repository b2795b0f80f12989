import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runObjectStoreConformance } from '../src/conformance.js';
import { WorkerObjectStore } from '../src/index.js';
import { expectCode } from './archiver-support.js';
import { hostOf, settlesWithin, sharedWorkerStore } from './worker-support.js';

const pageOfTwo = sharedWorkerStore();
runObjectStoreConformance(
  async () => {
    const store = await pageOfTwo.fresh({ seed: 1, listPageSize: 2 });
    return { store, corrupt: (key) => store.corrupt(key, { offset: 100 }) };
  },
  { name: 'WorkerObjectStore.memory', supports: { corruption: true, listPageSize: 2 } },
);

const faulty = sharedWorkerStore();
runObjectStoreConformance(
  async () => {
    const store = await faulty.fresh({ seed: 99, listPageSize: 1 });
    // Messages reach the worker in order: the fault is armed before the next call arrives.
    return { store, corrupt: (key) => store.corrupt(key), injectFault: (fault) => void store.injectFault(fault) };
  },
  { name: 'WorkerObjectStore.memory (faults, one key per list page)', supports: { corruption: true, faults: true, listPageSize: 1 } },
);

/** Threads of this process whose nice value is at least 10 (Linux). */
function backgroundThreads(): number {
  return readdirSync('/proc/self/task').filter((tid) => {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // from field 3 (state) on
    return Number(fields[16]) >= 10; // field 19: nice
  }).length;
}

describe('WorkerObjectStore: the thread', () => {
  it.skipIf(process.platform !== 'linux')("runs at background priority (nice +10 for that thread alone) unless priority: 'normal'", async () => {
    const before = backgroundThreads();
    const background = WorkerObjectStore.memory();
    await background.keys(); // the thread is up and has set its priority
    expect(backgroundThreads()).toBe(before + 1);
    const normal = WorkerObjectStore.memory({}, { priority: 'normal' });
    await normal.keys();
    expect(backgroundThreads()).toBe(before + 1);
    await Promise.all([background.close(), normal.close()]);
    expect(backgroundThreads()).toBe(before);
  });

  it('a crash of the worker rejects pending and later calls with ERR_WORKER_EXITED, naming the crash', async () => {
    const store = WorkerObjectStore.memory();
    await store.put('a', new Uint8Array([1]));
    const host = hostOf(store);
    host.crashForTesting();
    const pending = store.list('');
    const error = await expectCode(pending[Symbol.asyncIterator]().next(), 'ERR_WORKER_EXITED');
    expect(error.message).toContain('crash injected by a test');
    await expect(settlesWithin(store.exited, 10_000)).resolves.toBe(true);
    await expectCode(store.get('a'), 'ERR_WORKER_EXITED');
    expect(host.pending).toBe(0);
    await store.close();
  });

  it('close() terminates the thread: exited resolves, pending and later calls reject with ERR_CLOSED', async () => {
    const store = WorkerObjectStore.memory({ listPageSize: 1 });
    await store.put('a', new Uint8Array([1]));
    expect(hostOf(store).pending).toBe(0);
    const inFlight = store.get('a');
    const closing = store.close();
    await expectCode(inFlight, 'ERR_CLOSED');
    await closing;
    // A leaked thread never exits: this fails instead of hanging.
    await expect(settlesWithin(store.exited, 10_000)).resolves.toBe(true);
    await expectCode(store.head('a'), 'ERR_CLOSED');
    await store.close(); // idempotent
  });

  it('an aborted call rejects with ERR_ABORTED and leaves nothing pending', async () => {
    const store = WorkerObjectStore.memory();
    const controller = new AbortController();
    const call = store.put('a', new Uint8Array([1]), { signal: controller.signal });
    controller.abort();
    await expectCode(call, 'ERR_ABORTED');
    expect(hostOf(store).pending).toBe(0);
    await expectCode(store.put('b', new Uint8Array([1]), { signal: controller.signal }), 'ERR_ABORTED');
    await store.close();
  });

  it('an S3 config that cannot move to a worker (a client, a credentials function) is ERR_CONFIG', () => {
    expect(() => WorkerObjectStore.s3({ bucket: 'nori-test', credentials: () => Promise.resolve({ accessKeyId: 'a', secretAccessKey: 'b' }) })).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG' }),
    );
  });
});
