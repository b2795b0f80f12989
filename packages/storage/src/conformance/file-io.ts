import { describe, expect, it } from 'vitest';
import { bytes, expectBytes, expectRejectsCode, expectThrowsCode, readAll, utf8, type ConformanceFactory, useHarness } from './harness.js';

/** Writes and reads: positional, gathered, sync and async, sparse gaps, short reads. */
export function fileIoSuite(factory: ConformanceFactory): void {
  fileRoundTripSuite(factory);
  fileIoEdgeSuite(factory);
}

/** Round trips: gathered, positional, empty and past-the-end writes. */
function fileRoundTripSuite(factory: ConformanceFactory): void {
  describe('file I/O', () => {
    const harness = useHarness(factory);

    it('writevSync then readSync round-trips gathered buffers', async () => {
      const { storage } = harness();
      const file = await storage.open('a.wal', { create: true });
      expect(file.name).toBe('a.wal');
      file.writevSync([utf8('hello'), utf8(', '), new Uint8Array(0), utf8('world')], 0);
      const out = new Uint8Array(12);
      expect(file.readSync(out, 0, 12, 0)).toBe(12);
      expect(new TextDecoder().decode(out)).toBe('hello, world');
      expect(await file.size()).toBe(12);
      await file.close();
    });

    it('writev then read round-trips, including multi-megabyte data', async () => {
      const { storage } = harness();
      const file = await storage.open('big.wal', { create: true });
      const parts = [bytes(1 << 20, 1), bytes(1 << 20, 2), bytes(777_777, 3)];
      await file.writev(parts, 0);
      const total = parts.reduce((n, p) => n + p.byteLength, 0);
      expect(await file.size()).toBe(total);
      const out = new Uint8Array(total);
      expect(await file.read(out, 0, total, 0)).toBe(total);
      let at = 0;
      for (const part of parts) {
        expectBytes(out.subarray(at, at + part.byteLength), part);
        at += part.byteLength;
      }
      await file.close();
    });

    it('positional writes overwrite in place and leave the rest alone', async () => {
      const { storage } = harness();
      const file = await storage.open('p', { create: true });
      file.writevSync([utf8('aaaaaaaaaa')], 0);
      file.writevSync([utf8('BB')], 4);
      await file.writev([utf8('C')], 9);
      expect(new TextDecoder().decode(await readAll(storage, 'p'))).toBe('aaaaBBaaaC');
      await file.close();
    });

    it('an empty write changes nothing, even past the end', async () => {
      const { storage } = harness();
      const file = await storage.open('empty', { create: true });
      file.writevSync([], 100);
      await file.writev([new Uint8Array(0)], 200);
      expect(await file.size()).toBe(0);
      await file.close();
    });

    it('a write past the end leaves a zero-filled gap', async () => {
      const { storage } = harness();
      const file = await storage.open('gap', { create: true });
      file.writevSync([utf8('x')], 0);
      file.writevSync([utf8('y')], 10_000);
      expect(await file.size()).toBe(10_001);
      const out = new Uint8Array(10_001).fill(7);
      expect(file.readSync(out, 0, out.length, 0)).toBe(10_001);
      expect(out[0]).toBe(120);
      expect(out[10_000]).toBe(121);
      expect(out.subarray(1, 10_000).every((b) => b === 0)).toBe(true);
      await file.close();
    });
  });
}

/** Short reads, buffer ownership, two handles, bad arguments. */
function fileIoEdgeSuite(factory: ConformanceFactory): void {
  describe('file I/O: reads, references, bad arguments', () => {
    const harness = useHarness(factory);

    it('reads are short only at end of file and honour targetOffset', async () => {
      const { storage } = harness();
      const file = await storage.open('r', { create: true });
      file.writevSync([utf8('0123456789')], 0);
      const out = new Uint8Array(8).fill(0xee);
      expect(file.readSync(out, 2, 6, 7)).toBe(3);
      expect([...out]).toEqual([0xee, 0xee, 55, 56, 57, 0xee, 0xee, 0xee]);
      expect(await file.read(out, 0, 4, 10)).toBe(0);
      expect(await file.read(out, 0, 4, 1_000_000)).toBe(0);
      expect(await file.read(out, 0, 0, 0)).toBe(0);
      await file.close();
    });

    it('the storage keeps no reference to caller buffers after a write', async () => {
      const { storage } = harness();
      const file = await storage.open('copy', { create: true });
      const buffer = utf8('stable');
      file.writevSync([buffer], 0);
      buffer.fill(0);
      await file.writev([buffer.subarray(0, 0)], 6);
      expect(new TextDecoder().decode(await readAll(storage, 'copy'))).toBe('stable');
      await file.close();
    });

    it("two handles on one file see each other's writes", async () => {
      const { storage } = harness();
      const a = await storage.open('shared', { create: true });
      const b = await storage.open('shared');
      a.writevSync([utf8('abc')], 0);
      const out = new Uint8Array(3);
      expect(b.readSync(out, 0, 3, 0)).toBe(3);
      expect(new TextDecoder().decode(out)).toBe('abc');
      await a.close();
      await b.close();
    });

    it('rejects bad offsets, lengths and buffers with ERR_INVALID_ARGUMENT', async () => {
      const { storage } = harness();
      const file = await storage.open('args', { create: true });
      const out = new Uint8Array(4);
      for (const bad of [-1, 1.5, Number.NaN, Infinity, '1' as unknown as number]) {
        expectThrowsCode(() => file.writevSync([out], bad), 'ERR_INVALID_ARGUMENT');
        await expectRejectsCode(() => file.writev([out], bad), 'ERR_INVALID_ARGUMENT');
        expectThrowsCode(() => file.readSync(out, 0, 1, bad), 'ERR_INVALID_ARGUMENT');
        expectThrowsCode(() => file.readSync(out, bad, 1, 0), 'ERR_INVALID_ARGUMENT');
        expectThrowsCode(() => file.readSync(out, 0, bad, 0), 'ERR_INVALID_ARGUMENT');
        await expectRejectsCode(() => file.read(out, 0, 1, bad), 'ERR_INVALID_ARGUMENT');
        await expectRejectsCode(() => file.truncate(bad), 'ERR_INVALID_ARGUMENT');
        await expectRejectsCode(() => file.preallocate(bad), 'ERR_INVALID_ARGUMENT');
      }
      expectThrowsCode(() => file.readSync(out, 2, 3, 0), 'ERR_INVALID_ARGUMENT');
      await expectRejectsCode(() => file.read(out, 0, 5, 0), 'ERR_INVALID_ARGUMENT');
      expectThrowsCode(() => file.writevSync(['text' as unknown as Uint8Array], 0), 'ERR_INVALID_ARGUMENT');
      expectThrowsCode(() => file.writevSync(out as unknown as Uint8Array[], 0), 'ERR_INVALID_ARGUMENT');
      expectThrowsCode(() => file.readSync([0, 0] as unknown as Uint8Array, 0, 1, 0), 'ERR_INVALID_ARGUMENT');
      expect(await file.size()).toBe(0);
      await file.close();
    });
  });
}
