/** Page size of the in-memory file model (independent of the simulated sector size). */
export const PAGE_SIZE = 4096;

/**
 * File contents as a sparse map of 4 KiB pages with copy-on-write sharing, so a crash or a fork
 * copies page references rather than bytes. Invariant: bytes at or past `size` are zero.
 */
export class PagedBuffer {
  size: number;
  readonly #pages: Map<number, Uint8Array>;
  #owned = new Set<number>();

  constructor(pages = new Map<number, Uint8Array>(), size = 0) {
    this.#pages = pages;
    this.size = size;
  }

  /** A copy that shares pages with this one until either side writes. */
  clone(): PagedBuffer {
    this.#owned = new Set();
    return new PagedBuffer(new Map(this.#pages), this.size);
  }

  #writablePage(index: number): Uint8Array {
    let page = this.#pages.get(index);
    if (page === undefined) {
      page = new Uint8Array(PAGE_SIZE);
      this.#pages.set(index, page);
      this.#owned.add(index);
    } else if (!this.#owned.has(index)) {
      page = page.slice();
      this.#pages.set(index, page);
      this.#owned.add(index);
    }
    return page;
  }

  /** Copies `data` to `position`, growing the size as needed. */
  write(data: Uint8Array, position: number): void {
    let done = 0;
    while (done < data.byteLength) {
      const at = position + done;
      const index = Math.floor(at / PAGE_SIZE);
      const inPage = at - index * PAGE_SIZE;
      const n = Math.min(PAGE_SIZE - inPage, data.byteLength - done);
      this.#writablePage(index).set(data.subarray(done, done + n), inPage);
      done += n;
    }
    if (position + data.byteLength > this.size) this.size = position + data.byteLength;
  }

  /** Copies up to `length` bytes from `position` into `target`; returns the count (short at EOF). */
  read(target: Uint8Array, targetOffset: number, length: number, position: number): number {
    const n = Math.max(0, Math.min(length, this.size - position));
    let done = 0;
    while (done < n) {
      const at = position + done;
      const index = Math.floor(at / PAGE_SIZE);
      const inPage = at - index * PAGE_SIZE;
      const chunk = Math.min(PAGE_SIZE - inPage, n - done);
      const page = this.#pages.get(index);
      if (page === undefined) target.fill(0, targetOffset + done, targetOffset + done + chunk);
      else target.set(page.subarray(inPage, inPage + chunk), targetOffset + done);
      done += chunk;
    }
    return n;
  }

  /** Sets the size; shrinking discards (zeroes) the cut bytes, growing exposes zeros. */
  truncate(length: number): void {
    if (length < this.size) {
      const firstDropped = Math.ceil(length / PAGE_SIZE);
      for (const index of [...this.#pages.keys()]) {
        if (index >= firstDropped) {
          this.#pages.delete(index);
          this.#owned.delete(index);
        }
      }
      const inPage = length % PAGE_SIZE;
      const partial = Math.floor(length / PAGE_SIZE);
      if (inPage !== 0 && this.#pages.has(partial)) this.#writablePage(partial).fill(0, inPage);
    }
    this.size = length;
  }
}
