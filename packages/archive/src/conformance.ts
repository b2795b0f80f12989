/**
 * The conformance suite every `ObjectStore` must pass (vitest). Usage:
 *
 * ```ts
 * import { runObjectStoreConformance } from '@nori/archive/conformance';
 * runObjectStoreConformance(async () => ({ store: new MyStore() }), { name: 'MyStore' });
 * ```
 */
import { describe } from 'vitest';
import { abortSuite, argumentSuite, faultSuite } from './conformance/arguments.js';
import type { ObjectStoreConformanceOptions, ObjectStoreFactory } from './conformance/harness.js';
import { deleteSuite, listSuite } from './conformance/listing.js';
import { checksumSuite, conditionalSuite, putGetSuite, rangeSuite } from './conformance/objects.js';

export type { ObjectStoreConformanceOptions, ObjectStoreFactory, ObjectStoreHarness, ObjectStoreSupports } from './conformance/harness.js';
export { INVALID_KEYS } from './conformance/arguments.js';

/**
 * Registers the object store conformance tests under `describe(options.name)`. `factory` is
 * called once per test and must return a harness whose store holds no objects.
 */
export function runObjectStoreConformance(factory: ObjectStoreFactory, options: ObjectStoreConformanceOptions = {}): void {
  const supports = options.supports ?? {};
  describe(`${options.name ?? 'ObjectStore'}: object store conformance`, () => {
    putGetSuite(factory);
    conditionalSuite(factory);
    checksumSuite(factory, supports);
    rangeSuite(factory);
    listSuite(factory, supports);
    deleteSuite(factory);
    argumentSuite(factory);
    abortSuite(factory);
    if (supports.faults === true) faultSuite(factory);
  });
}
