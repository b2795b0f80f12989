/**
 * @nori/wal-conformance: `runWalConformance(name, factory, { supports })`, the WAL behaviours
 * every storage backend must keep (abstract-level's `test/index.js` + `supports` manifest is the
 * model). Private workspace package: it depends on `@nori/wal`, whose own tests use
 * `@nori/test-support`, so it cannot live in either without a dependency cycle.
 *
 * ```ts
 * import { MemoryStorage } from '@nori/storage';
 * import { runWalConformance } from '@nori/wal-conformance';
 * runWalConformance('memory', () => { const s = new MemoryStorage(); return { storage: s, crash: () => { s.crash(); return s; } }; }, { supports: { crash: true } });
 * ```
 * @packageDocumentation
 */
import { afterEach, beforeEach, describe } from 'vitest';
import type { HarnessSlot, WalFactory, WalHarness, WalSupports } from './harness.js';
import { basicsSuite } from './suites/basics.js';
import { crashSuite } from './suites/crash.js';
import { faultsSuite } from './suites/faults.js';
import { lifecycleSuite } from './suites/lifecycle.js';
import { rotationSuite } from './suites/rotation.js';
import { truncationSuite } from './suites/truncation.js';

export { FaultyStorage } from './faulty-storage.js';
export { SMALL_SEGMENT, type WalFactory, type WalHarness, type WalSupports } from './harness.js';

/** Options of {@link runWalConformance}. */
export interface WalConformanceOptions {
  /** What the backend supports; suites for unsupported features are skipped. */
  supports?: WalSupports;
}

/**
 * Registers the WAL conformance tests under `describe(name)`. `factory` is called once per test
 * and must return a harness over a fresh, empty storage.
 */
export function runWalConformance(name: string, factory: WalFactory, options: WalConformanceOptions = {}): void {
  const supports = options.supports ?? {};
  describe(`${name}: WAL conformance`, () => {
    let harness: WalHarness | undefined;
    beforeEach(async () => {
      harness = await factory();
    });
    afterEach(async () => {
      await harness?.cleanup?.();
      harness = undefined;
    });
    const slot: HarnessSlot = {
      current: () => {
        if (harness === undefined) throw new Error('no harness: the factory did not run');
        return harness;
      },
    };
    describe('append, read, reopen, sequence numbers', () => basicsSuite(slot));
    describe('rotation and GC', () => rotationSuite(slot));
    describe('truncation', () => truncationSuite(slot));
    describe('abort and close', () => lifecycleSuite(slot));
    describe.runIf(supports.faults === true)('failed fsync', () => faultsSuite(slot));
    describe.runIf(supports.crash === true)('power loss', () => crashSuite(slot));
  });
}
