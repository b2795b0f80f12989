import { describe, expect, it } from 'vitest';
import { MemoryStorage, removeFileDurably, removeStaleTmp, tmpNameOf, writeFileAtomically } from '../src/index.js';

const text = (s: string) => new TextEncoder().encode(s);

async function read(storage: MemoryStorage, name: string): Promise<string | undefined> {
  if (!(await storage.exists(name))) return undefined;
  const file = await storage.open(name);
  try {
    const bytes = new Uint8Array(await file.size());
    await file.read(bytes, 0, bytes.length, 0);
    return new TextDecoder().decode(bytes);
  } finally {
    await file.close();
  }
}

describe('writeFileAtomically', () => {
  it('replaces a file: after a power loss at every step it holds the old content or the new one', async () => {
    const base = new MemoryStorage({ seed: 7 });
    await writeFileAtomically(base, 'side.json', text('old content'));
    const probe = base.fork();
    const before = probe.operations;
    await writeFileAtomically(probe, 'side.json', text('the new, longer content'));
    const steps = probe.operations - before;
    expect(steps).toBeGreaterThan(3);
    const seen = new Set<string | undefined>();
    for (let afterOps = 0; afterOps <= steps; afterOps++) {
      for (const seed of [1, 2, 3]) {
        const storage = base.fork({ seed });
        storage.injectFault({ kind: 'crash', afterOps });
        await writeFileAtomically(storage, 'side.json', text('the new, longer content')).catch(() => undefined);
        if (afterOps === steps) storage.crash();
        const content = await read(storage, 'side.json');
        expect(['old content', 'the new, longer content']).toContain(content);
        seen.add(content);
        await removeStaleTmp(storage, 'side.json');
        expect(await storage.exists(tmpNameOf('side.json'))).toBe(false);
      }
    }
    expect(seen.size).toBe(2); // both outcomes occur: the sweep reaches past the rename
  });

  it('removeFileDurably removes a file and tolerates a missing one', async () => {
    const storage = new MemoryStorage();
    await writeFileAtomically(storage, 'a', text('x'));
    await removeFileDurably(storage, 'a');
    storage.crash();
    expect(await storage.exists('a')).toBe(false);
    await removeFileDurably(storage, 'a');
  });
});
