import { describe, expect, it } from 'vitest';
import { WriteSequencer } from '../src/write-sequencer.js';

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('WriteSequencer', () => {
  it('applies effects in issue order even when acknowledgements arrive out of order', async () => {
    const sequencer = new WriteSequencer();
    const applied: number[] = [];
    const acks = [deferred<void>(), deferred<void>(), deferred<void>()];
    const runs = acks.map((ack, i) =>
      sequencer.run(
        () => ack.promise,
        () => applied.push(i),
      ),
    );
    acks[2]?.resolve();
    acks[1]?.resolve();
    await new Promise((r) => setTimeout(r, 1));
    expect(applied).toEqual([]);
    expect(sequencer.inFlight).toBe(3);
    acks[0]?.resolve();
    await Promise.all(runs);
    expect(applied).toEqual([0, 1, 2]);
    expect(sequencer.inFlight).toBe(0);
  });

  it('rejects a failed write without applying it and keeps going', async () => {
    const sequencer = new WriteSequencer();
    const applied: string[] = [];
    const failing = sequencer.run(
      () => Promise.reject(new Error('disk on fire')),
      () => applied.push('failed'),
    );
    const throwing = sequencer.run(
      () => {
        throw new Error('sync throw');
      },
      () => applied.push('thrown'),
    );
    const ok = sequencer.run(
      () => Promise.resolve(7),
      (n) => applied.push(`ok ${n}`),
    );
    await expect(failing).rejects.toThrow('disk on fire');
    await expect(throwing).rejects.toThrow('sync throw');
    await ok;
    expect(applied).toEqual(['ok 7']);
  });

  it('pause() waits for in-flight writes and holds new ones back in order', async () => {
    const sequencer = new WriteSequencer();
    const issued: string[] = [];
    const first = deferred<void>();
    const a = sequencer.run(
      () => (issued.push('a'), first.promise),
      () => 'a',
    );
    let paused = false;
    const pausing = sequencer.pause().then(() => (paused = true));
    const b = sequencer.run(
      () => (issued.push('b'), Promise.resolve()),
      () => 'b',
    );
    const c = sequencer.run(
      () => (issued.push('c'), Promise.resolve()),
      () => 'c',
    );
    await new Promise((r) => setTimeout(r, 1));
    expect(paused).toBe(false);
    first.resolve();
    await pausing;
    expect(issued).toEqual(['a']);
    sequencer.resume();
    expect(await Promise.all([a, b, c])).toEqual(['a', 'b', 'c']);
    expect(issued).toEqual(['a', 'b', 'c']);
  });
});
