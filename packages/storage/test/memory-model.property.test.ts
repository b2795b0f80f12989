import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryStorage } from '../src/index.js';
import { filled, readWholeIfExists } from '@nori/test-support';

const MAX = 6000;

type FileCommand =
  | { kind: 'write'; position: number; length: number; byte: number; sync: boolean }
  | { kind: 'truncate'; length: number }
  | { kind: 'preallocate'; length: number }
  | { kind: 'read'; position: number; length: number }
  | { kind: 'sync' };

const fileCommand: fc.Arbitrary<FileCommand> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('write' as const),
      position: fc.nat(MAX),
      length: fc.nat(1500),
      byte: fc.integer({ min: 1, max: 255 }),
      sync: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), length: fc.nat(MAX) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('preallocate' as const), length: fc.nat(MAX + 2000) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('read' as const), position: fc.nat(MAX + 2000), length: fc.nat(3000) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('sync' as const) }) },
);

/** The obvious model: one growable byte array. */
class ModelFile {
  bytes = new Uint8Array(0);

  resize(length: number): void {
    const next = new Uint8Array(length);
    next.set(this.bytes.subarray(0, Math.min(length, this.bytes.length)));
    this.bytes = next;
  }

  /** Like pwrite: an empty write does not extend the file. */
  write(position: number, data: Uint8Array): void {
    if (data.length === 0) return;
    if (position + data.length > this.bytes.length) this.resize(position + data.length);
    this.bytes.set(data, position);
  }
}

describe('MemoryStorage against a byte-array model', () => {
  it('random operation sequences read back exactly like the model', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fileCommand, { maxLength: 40 }), async (commands) => {
        const storage = new MemoryStorage();
        const file = await storage.open('f', { create: true });
        const model = new ModelFile();
        for (const c of commands) {
          if (c.kind === 'write') {
            const data = filled(c.length, c.byte);
            if (c.sync) file.writevSync([data.subarray(0, c.length >> 1), data.subarray(c.length >> 1)], c.position);
            else await file.writev([data], c.position);
            model.write(c.position, data);
          } else if (c.kind === 'truncate') {
            await file.truncate(c.length);
            model.resize(c.length);
          } else if (c.kind === 'preallocate') {
            await file.preallocate(c.length);
            if (c.length > model.bytes.length) model.resize(c.length);
          } else if (c.kind === 'sync') {
            await file.datasync();
          } else {
            const out = new Uint8Array(c.length);
            const n = file.readSync(out, 0, c.length, c.position);
            const expected = model.bytes.subarray(Math.min(c.position, model.bytes.length), Math.min(c.position + c.length, model.bytes.length));
            expect(n).toBe(expected.length);
            expect(Buffer.compare(out.subarray(0, n), expected)).toBe(0);
          }
          expect(await file.size()).toBe(model.bytes.length);
        }
        expect(Buffer.compare((await readWholeIfExists(storage, 'f')) as Uint8Array, model.bytes)).toBe(0);
        await file.close();
      }),
      { numRuns: 150 },
    );
  });
});

type AppendCommand = { kind: 'write'; position: number; length: number; byte: number } | { kind: 'sync' };

const appendCommand: fc.Arbitrary<AppendCommand> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('write' as const),
      position: fc.nat(4000),
      length: fc.integer({ min: 1, max: 1200 }),
      byte: fc.integer({ min: 1, max: 255 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('sync' as const) }) },
);

describe('MemoryStorage crash invariants', () => {
  it('synced bytes always survive; every other byte is old, zero, or something written there since', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(appendCommand, { maxLength: 30 }),
        fc.integer(),
        fc.constantFrom('prefix' as const, 'subset' as const),
        fc.constantFrom(1, 512, 4096),
        async (commands, seed, mode, sectorSize) => {
          const storage = new MemoryStorage({ seed, sectorSize, crashMode: mode });
          const file = await storage.open('wal', { create: true });
          await storage.syncDir();
          const current = new ModelFile();
          let durable = new Uint8Array(0);
          let since: Set<number>[] = [];
          let maxEnd = 0;
          for (const c of commands) {
            if (c.kind === 'sync') {
              await file.datasync();
              durable = current.bytes.slice();
              since = [];
              continue;
            }
            file.writevSync([filled(c.length, c.byte)], c.position);
            current.write(c.position, filled(c.length, c.byte));
            maxEnd = Math.max(maxEnd, c.position + c.length);
            for (let i = c.position; i < c.position + c.length; i++) (since[i] ??= new Set()).add(c.byte);
          }
          storage.crash();
          const after = (await readWholeIfExists(storage, 'wal')) as Uint8Array;
          expect(after.length).toBeGreaterThanOrEqual(durable.length);
          expect(after.length).toBeLessThanOrEqual(Math.max(durable.length, maxEnd));
          for (let i = 0; i < after.length; i++) {
            const old = i < durable.length ? durable[i] : 0;
            const value = after[i] as number;
            if (value !== old && !(since[i]?.has(value) ?? false)) {
              expect.fail(`byte ${String(i)} is ${String(value)}: neither the synced ${String(old)} nor written since`);
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('directory state after a final syncDir survives exactly; otherwise names hold one of their recent contents', async () => {
    const names = ['a', 'b', 'c'];
    type DirCommand = { kind: 'create'; name: string } | { kind: 'remove'; name: string } | { kind: 'rename'; from: string; to: string } | { kind: 'syncDir' };
    const dirCommand: fc.Arbitrary<DirCommand> = fc.oneof(
      fc.record({ kind: fc.constant('create' as const), name: fc.constantFrom(...names) }),
      fc.record({ kind: fc.constant('remove' as const), name: fc.constantFrom(...names) }),
      fc.record({ kind: fc.constant('rename' as const), from: fc.constantFrom(...names), to: fc.constantFrom(...names) }),
      fc.record({ kind: fc.constant('syncDir' as const) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(dirCommand, { maxLength: 25 }), fc.integer(), async (commands, seed) => {
        const storage = new MemoryStorage({ seed });
        const current = new Map<string, number>();
        let durable = new Map<string, number>();
        let recent = new Map<string, Set<number>>();
        const note = (name: string, id: number): void => {
          const set = recent.get(name) ?? new Set<number>();
          set.add(id);
          recent.set(name, set);
        };
        let nextId = 1;
        for (const c of commands) {
          if (c.kind === 'create' && !current.has(c.name)) {
            const id = nextId++;
            const file = await storage.open(c.name, { create: true });
            file.writevSync([filled(4, id)], 0);
            await file.datasync();
            await file.close();
            current.set(c.name, id);
            note(c.name, id);
          } else if (c.kind === 'remove' && current.has(c.name)) {
            await storage.remove(c.name);
            current.delete(c.name);
          } else if (c.kind === 'rename' && current.has(c.from) && c.from !== c.to) {
            await storage.rename(c.from, c.to);
            const id = current.get(c.from) as number;
            current.delete(c.from);
            current.set(c.to, id);
            note(c.to, id);
          } else if (c.kind === 'syncDir') {
            await storage.syncDir();
            durable = new Map(current);
            recent = new Map();
          }
        }
        const endsSynced = commands.at(-1)?.kind === 'syncDir';
        storage.crash();
        const listed = await storage.list();
        if (endsSynced) expect(listed).toEqual([...durable.keys()].sort());
        for (const name of listed) {
          const id = ((await readWholeIfExists(storage, name)) as Uint8Array)[0] as number;
          const allowed = new Set(recent.get(name));
          const synced = durable.get(name);
          if (synced !== undefined) allowed.add(synced);
          expect(allowed.has(id), `${name} holds ${String(id)}`).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });
});
