/**
 * A small seeded PRNG (mulberry32 behind a murmur3 seed scrambler): every crash case is a pure
 * function of its seed, so a failure report (`seed`, `step`) replays exactly.
 */
export class Rng {
  #state: number;

  /** Creates a generator; neighbouring seeds give unrelated sequences. */
  constructor(seed: number) {
    let h = (Math.trunc(seed) ^ 0x5bd1e995) >>> 0;
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    this.#state = (h ^ (h >>> 16)) >>> 0;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [0, bound). */
  int(bound: number): number {
    return Math.floor(this.next() * bound);
  }

  /** Uniform integer in [min, max] (both inclusive). */
  range(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list');
    return items[this.int(items.length)] as T;
  }

  /** A 31-bit seed for a derived generator (e.g. the storage's crash PRNG). */
  seed(): number {
    return this.int(0x7fffffff);
  }
}
