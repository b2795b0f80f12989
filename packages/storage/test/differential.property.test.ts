import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryStorage, NodeFileStorage, type Storage } from '../src/index.js';

const NAMES = ['a', 'b', 'd/x', 'd/y', 'd'];

type Op =
  | { kind: 'write'; name: string; position: number; length: number; byte: number }
  | { kind: 'truncate'; name: string; length: number }
  | { kind: 'preallocate'; name: string; length: number }
  | { kind: 'read'; name: string; position: number; length: number }
  | { kind: 'rename'; from: string; to: string }
  | { kind: 'remove'; name: string }
  | { kind: 'mkdir'; name: string }
  | { kind: 'list'; dir: string | undefined }
  | { kind: 'exists'; name: string };

const name = fc.constantFrom(...NAMES);
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('write' as const), name, position: fc.nat(3000), length: fc.nat(2000), byte: fc.integer({ min: 1, max: 255 }) }),
  },
  fc.record({ kind: fc.constant('truncate' as const), name, length: fc.nat(5000) }),
  fc.record({ kind: fc.constant('preallocate' as const), name, length: fc.nat(6000) }),
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('read' as const), name, position: fc.nat(6000), length: fc.nat(3000) }) },
  fc.record({ kind: fc.constant('rename' as const), from: name, to: name }),
  fc.record({ kind: fc.constant('remove' as const), name }),
  fc.record({ kind: fc.constant('mkdir' as const), name }),
  fc.record({ kind: fc.constant('list' as const), dir: fc.constantFrom(undefined, 'd', 'a') }),
  fc.record({ kind: fc.constant('exists' as const), name }),
);

/** Applies `op` and describes the observable outcome (result or error code). */
async function run(storage: Storage, o: Op): Promise<unknown> {
  try {
    switch (o.kind) {
      case 'write': {
        const file = await storage.open(o.name, { create: true });
        try {
          file.writevSync([new Uint8Array(o.length).fill(o.byte)], o.position);
        } finally {
          await file.close();
        }
        return 'ok';
      }
      case 'truncate':
      case 'preallocate': {
        const file = await storage.open(o.name);
        try {
          await (o.kind === 'truncate' ? file.truncate(o.length) : file.preallocate(o.length));
          return await file.size();
        } finally {
          await file.close();
        }
      }
      case 'read': {
        const file = await storage.open(o.name, { readOnly: true });
        try {
          const out = new Uint8Array(o.length);
          const n = await file.read(out, 0, o.length, o.position);
          return Buffer.from(out.subarray(0, n)).toString('base64');
        } finally {
          await file.close();
        }
      }
      case 'rename':
        await storage.rename(o.from, o.to);
        return 'ok';
      case 'remove':
        await storage.remove(o.name);
        return 'ok';
      case 'mkdir':
        await storage.mkdir(o.name);
        return 'ok';
      case 'list':
        return await storage.list(o.dir);
      case 'exists':
        return await storage.exists(o.name);
    }
  } catch (error) {
    return { error: (error as { code?: string }).code };
  }
}

const roots: string[] = [];
afterAll(() => {
  for (const root of roots) fs.rmSync(root, { recursive: true, force: true });
});

describe('MemoryStorage and NodeFileStorage behave alike', () => {
  it('same results and error codes for random operation sequences', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 25 }), async (ops) => {
        const root = fs.mkdtempSync(path.join(os.tmpdir(), 'nori-diff-'));
        roots.push(root);
        const disk = new NodeFileStorage(root, { syncDirOnChange: false, preallocate: 'sparse' });
        const memory = new MemoryStorage();
        for (const o of ops) {
          const expected = await run(disk, o);
          const actual = await run(memory, o);
          expect(actual, JSON.stringify(o)).toEqual(expected);
        }
        fs.rmSync(root, { recursive: true, force: true });
      }),
      { numRuns: 100 },
    );
  });
});
