/**
 * The conformance suite every `Storage` backend must pass (vitest). Usage:
 *
 * ```ts
 * import { runStorageConformance } from '@nori/storage/conformance';
 * runStorageConformance('my-backend', () => ({ storage: new MyStorage(), reopen: ... }));
 * ```
 */
import { describe } from 'vitest';
import { durabilitySuite } from './conformance/durability.js';
import { entriesSuite, linksSuite, statSuite } from './conformance/entries.js';
import { fileIoSuite } from './conformance/file-io.js';
import { fileLifecycleSuite } from './conformance/file-lifecycle.js';
import type { ConformanceFactory } from './conformance/harness.js';
import { lockSuite } from './conformance/lock.js';
import { namespaceSuite } from './conformance/namespace.js';
import { pathSuite } from './conformance/paths.js';

export type { ConformanceFactory, ConformanceHarness } from './conformance/harness.js';
export { INVALID_NAMES } from './conformance/paths.js';

/** Options of {@link runStorageConformance}. */
export interface ConformanceOptions {
  /** Run the durability tests (needs `restart` on the harness). Default: true. */
  durability?: boolean;
  /**
   * The backend's store can hold symbolic links (and maybe FIFOs) created behind its back: run
   * the tests that they are never followed or used as files (needs `makeSymlink` on the
   * harness). Default: false.
   */
  links?: boolean;
}

/**
 * Registers the storage conformance tests under `describe(name)`. `factory` is called once per
 * test and must return a harness with a fresh, empty storage.
 */
export function runStorageConformance(name: string, factory: ConformanceFactory, options: ConformanceOptions = {}): void {
  describe(`${name}: storage conformance`, () => {
    pathSuite(factory);
    fileIoSuite(factory);
    fileLifecycleSuite(factory);
    namespaceSuite(factory);
    entriesSuite(factory);
    statSuite(factory);
    if (options.links === true) linksSuite(factory);
    lockSuite(factory);
    if (options.durability !== false) durabilitySuite(factory);
  });
}
