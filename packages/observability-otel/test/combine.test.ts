import { describe, expect, it } from 'vitest';
import type { WalObserver } from '@nori/wal';
import { combineObservers, createOtelObserver, NoriOtelError, WAL_OBSERVER_METHODS } from '../src/index.js';
import { recoveryReport, setupMetrics } from './helpers.js';

describe('combineObservers', () => {
  it('defines only the methods some observer defines, so unobserved events stay free', () => {
    const combined = combineObservers({ onAppend() {} }, { onFsync() {} }, { onAppend() {} });
    expect(Object.keys(combined).sort()).toEqual(['onAppend', 'onFsync']);
    expect('onRecovery' in combined).toBe(false);
    expect(Object.keys(combineObservers())).toEqual([]);
    expect(Object.keys(combineObservers({}, {}))).toEqual([]);
  });

  it('calls every observer in order with the same event and the observer as `this`', () => {
    const calls: string[] = [];
    const event = { records: 2, bytes: 20, batch: true };
    const seen: unknown[] = [];
    const a = {
      label: 'a',
      onAppend(this: { label: string }, e: typeof event) {
        calls.push(this.label);
        seen.push(e);
      },
    };
    const b = {
      label: 'b',
      onAppend(this: { label: string }, e: typeof event) {
        calls.push(this.label);
        seen.push(e);
      },
    };
    combineObservers(a, b).onAppend!(event);
    expect(calls).toEqual(['a', 'b']);
    expect(seen).toEqual([event, event]);
    expect(seen[0]).toBe(event);
  });

  it('forwards every event kind', () => {
    const received: string[] = [];
    const recorder = Object.fromEntries(WAL_OBSERVER_METHODS.map((m) => [m, () => received.push(m)])) as WalObserver;
    const c = combineObservers(recorder, { onFailed() {} });
    c.onAppend!({ records: 1, bytes: 1, batch: false });
    c.onFsync!({ durationMs: 1, bytes: 1, records: 1, appends: 1, ok: true });
    c.onSegmentRolled!({ segmentId: 2, previousSegmentId: 1, previousSize: 1 });
    c.onSegmentDeleted!({ segmentId: 1, bytes: 1 });
    c.onRecovery!(recoveryReport());
    c.onCorruption!({ segmentId: 1, offset: 0, reason: 'crc-mismatch', action: 'truncated' });
    c.onFailed!({ error: new Error('x') });
    expect(received).toEqual([...WAL_OBSERVER_METHODS]);
  });

  it('skips undefined entries and returns a single observer unchanged', () => {
    const only: WalObserver = { onAppend() {} };
    expect(combineObservers(undefined, only, undefined)).toBe(only);
  });

  it('runs the remaining observers when one throws, then rethrows that error', () => {
    const boom = new Error('boom');
    const calls: string[] = [];
    const combined = combineObservers(
      {
        onSegmentDeleted: () => {
          calls.push('a');
          throw boom;
        },
      },
      {
        onSegmentDeleted: () => {
          calls.push('b');
        },
      },
    );
    expect(() => combined.onSegmentDeleted!({ segmentId: 1, bytes: 1 })).toThrow(boom);
    expect(calls).toEqual(['a', 'b']);
  });

  it('throws an AggregateError when several observers throw', () => {
    const e1 = new Error('one');
    const e2 = new Error('two');
    const combined = combineObservers(
      {
        onFailed: () => {
          throw e1;
        },
      },
      { onFailed: () => {} },
      {
        onFailed: () => {
          throw e2;
        },
      },
    );
    let caught: unknown;
    try {
      combined.onFailed!({ error: new Error('wal failed') });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(AggregateError);
    expect((caught as AggregateError).errors).toEqual([e1, e2]);
    expect((caught as AggregateError).message).toContain('onFailed');
  });

  it.each([
    ['a number', 5],
    ['null', null],
    ['a string', 'observer'],
    ['a non-function method', { onAppend: 'yes' }],
  ])('rejects %s with ERR_INVALID_ARGUMENT', (_label, bad) => {
    let caught: unknown;
    try {
      combineObservers({ onAppend() {} }, bad as unknown as WalObserver);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(NoriOtelError);
    expect((caught as NoriOtelError).code).toBe('ERR_INVALID_ARGUMENT');
    expect((caught as NoriOtelError).message).toContain('argument 1');
  });

  it('feeds the OpenTelemetry observer alongside another one', async () => {
    const m = setupMetrics();
    const otel = createOtelObserver({ meter: m.meter, walName: 'combined' });
    const logged: number[] = [];
    const observer = combineObservers(otel.observer, { onAppend: (e) => logged.push(e.records) });
    observer.onAppend!({ records: 3, bytes: 30, batch: false });
    observer.onAppend!({ records: 4, bytes: 40, batch: false });
    const c = await m.collect();
    expect(logged).toEqual([3, 4]);
    expect(c.points('nori.wal.append.records')).toEqual([{ attributes: { 'nori.wal.name': 'combined', 'nori.wal.batch': false }, value: 7 }]);
    await m.shutdown();
  });
});
