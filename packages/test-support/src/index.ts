/**
 * @nori/test-support: the test utilities every nori package shares (private, never published).
 * One copy of each: temp dirs, whole-file reads, the seeded PRNG, golden loaders, record
 * factories and byte-equality helpers.
 * @packageDocumentation
 */
export { tempDir, TempDirs, type TempDir } from './temp-dir.js';
export { readWhole, readWholeIfExists, type ReadableFile, type ReadableStorage } from './whole-file.js';
export { Rng } from './prng.js';
export { bytesEqual, concatBytes, expectByteArrays, expectBytes, filled, firstByteMismatch, hex, text, unhex } from './bytes.js';
export { codeOf, collect, indexOf, record } from './records.js';
export { GOLDEN_DIR, copyGoldenCase, goldenCase, goldenCases, type GoldenCase, type GoldenPosition, type GoldenRecord } from './golden.js';
