/** Mixes the seed before use (murmur3 fmix32): neighbouring seeds give unrelated sequences. */
const SEED_SCRAMBLE = 0x5bd1e995;
/** mulberry32's state increment (the golden-ratio-ish Weyl constant). */
const MULBERRY_STEP = 0x6d2b79f5;
/** 2^32, turns a 32-bit word into a float in [0, 1). */
const TWO_POW_32 = 4294967296;

/**
 * A small seeded PRNG for tests (mulberry32 behind a murmur3 seed scrambler): every generated
 * case is a pure function of its seed, so a failure report (`seed`, `step`) replays exactly.
 */
export class Rng {
  #state: number;

  /** Creates a generator; neighbouring seeds give unrelated sequences. */
  constructor(seed: number) {
    let h = (Math.trunc(seed) ^ SEED_SCRAMBLE) >>> 0;
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    this.#state = (h ^ (h >>> 16)) >>> 0;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    let t = (this.#state = (this.#state + MULBERRY_STEP) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / TWO_POW_32;
  }

  /** Uniform integer in [0, bound). */
  int(bound: number): number {
    return Math.floor(this.next() * bound);
  }

  /** Uniform integer in [min, max] (both inclusive). */
  range(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  /** True with probability `p` (default 1/2). */
  chance(p = 0.5): boolean {
    return this.next() < p;
  }

  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list');
    return items[this.int(items.length)] as T;
  }

  /** `length` pseudo-random bytes. */
  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.int(256);
    return out;
  }

  /** A 31-bit seed for a derived generator (e.g. a storage's crash PRNG). */
  seed(): number {
    return this.int(0x7fffffff);
  }
}
