import type * as NodeFs from 'node:fs';

/**
 * `node:fs`, taken with `process.getBuiltinModule` instead of `import fs from 'node:fs'`. An ESM
 * import of a built-in builds a facade that reads every export, and reading `fs.promises`,
 * `fs.ReadStream` and friends loads Node's whole streams stack: ~5 ms of every process's start
 * (measured: a script whose only line is that import starts 1.08x slower than an empty one).
 * Import `fs` from here, never from `node:fs` (test/node-fs-import.test.ts checks).
 */
export const fs: typeof NodeFs = process.getBuiltinModule('node:fs');
