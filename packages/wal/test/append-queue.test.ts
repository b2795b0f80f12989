import { describe, expect, it } from 'vitest';
import { AppendQueue } from '../src/append-queue.js';
import { batchWrite, recordWrite, syncMarker, DONE, QUEUED, WAITING_ROOM, type PendingWrite } from '../src/pending-write.js';
import type { AppendResult } from '../src/types.js';

function record(bytes: number, signal?: AbortSignal): { write: PendingWrite; result: Promise<AppendResult> } {
  let write: PendingWrite | undefined;
  const result = new Promise<AppendResult>((resolve, reject) => {
    write = recordWrite(new Uint8Array(bytes), { signal }, resolve, reject);
  });
  return { write: write as PendingWrite, result };
}

describe('PendingWrite', () => {
  it('is a tagged union: record, batch and sync marker carry their own payload', () => {
    const noop = { resolve: () => undefined, reject: () => undefined };
    const one = recordWrite(new Uint8Array(5), { durable: true }, noop.resolve, noop.reject);
    const many = batchWrite([new Uint8Array(2), new Uint8Array(3)], 5, undefined, noop);
    const marker = syncMarker(noop);
    expect([one.kind, one.bytes, one.records, one.durable]).toEqual(['record', 5, 1, true]);
    expect([many.kind, many.bytes, many.records, many.durable]).toEqual(['batch', 5, 2, false]);
    expect([marker.kind, marker.bytes, marker.records, marker.durable]).toEqual(['sync', 0, 0, true]);
  });
});

describe('AppendQueue', () => {
  it('admits while there is room, then queues FIFO and admits waiters as room frees', async () => {
    let flushes = 0;
    const queue = new AppendQueue(10, () => flushes++);
    const a = record(6).write;
    const b = record(6).write;
    const c = record(1).write;
    queue.enqueue(a);
    queue.enqueue(b);
    // c would fit, but must not overtake b (FIFO under backpressure).
    queue.enqueue(c);
    expect([a.state, b.state, c.state]).toEqual([QUEUED, WAITING_ROOM, WAITING_ROOM]);
    expect(queue.queuedBytes).toBe(6);
    expect(queue.pendingRecords).toBe(3);
    await Promise.resolve();
    expect(flushes).toBe(1);
    expect(queue.take(1)).toEqual([a]);
    queue.queuedBytes -= a.bytes;
    queue.admitWaiters();
    expect([b.state, c.state]).toEqual([QUEUED, QUEUED]);
    expect(queue.items).toEqual([b, c]);
  });

  it('an abort removes a queued or waiting write and rejects it with ERR_ABORTED', async () => {
    const queue = new AppendQueue(4, () => undefined);
    const controller = new AbortController();
    const first = record(4);
    const second = record(4, controller.signal);
    queue.enqueue(first.write);
    queue.enqueue(second.write);
    controller.abort();
    await expect(second.result).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    expect(second.write.state).toBe(DONE);
    expect(queue.pendingRecords).toBe(1);
    expect(queue.clear()).toEqual([first.write]);
    expect(queue.empty).toBe(true);
  });

  it('rejects a write whose signal is already aborted without queueing it', async () => {
    const queue = new AppendQueue(4, () => undefined);
    const { write, result } = record(1, AbortSignal.abort());
    queue.enqueue(write);
    await expect(result).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    expect(queue.empty).toBe(true);
    expect(queue.pendingRecords).toBe(0);
  });
});
