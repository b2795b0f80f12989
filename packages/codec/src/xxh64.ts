/**
 * XXH64 (seed 0), the zstd content checksum: a frame stores the low 32 bits of XXH64 of its
 * content. fzstd does not check it, libzstd (nori-wal, node:zlib, zstd-napi) does. 64-bit words
 * are (hi, lo) pairs of uint32 so that no BigInt is allocated per operation (~50 MB/s here; only
 * frames that carry a checksum pay for it, and nori-wal never writes one).
 */

// XXH64 primes as (hi, lo) halves.
const P1_HI = 0x9e3779b1;
const P1_LO = 0x85ebca87;
const P2_HI = 0xc2b2ae3d;
const P2_LO = 0x27d4eb4f;
const P3_HI = 0x165667b1;
const P3_LO = 0x9e3779f9;
const P4_HI = 0x85ebca77;
const P4_LO = 0xc2b2ae63;
const P5_HI = 0x27d4eb2f;
const P5_LO = 0x165667c5;

const STRIPE = 32;
const TWO_32 = 0x1_0000_0000;
const TWO_16 = 0x1_0000;

// Result registers of the helpers below (no allocation per operation).
let rh = 0;
let rl = 0;

/** (rh, rl) = a * b mod 2^64. */
function mul(ah: number, al: number, bh: number, bl: number): void {
  // al * bl needs 64 exact bits: split al into 16-bit halves so each product stays below 2^53.
  const low = (al & 0xffff) * bl;
  const high = (al >>> 16) * bl;
  const sum = low + (high % TWO_16) * TWO_16;
  rl = sum >>> 0;
  rh = (Math.floor(high / TWO_16) + Math.floor(sum / TWO_32) + Math.imul(ah, bl) + Math.imul(al, bh)) >>> 0;
}

/** (rh, rl) = a + b mod 2^64. */
function add(ah: number, al: number, bh: number, bl: number): void {
  const low = al + bl;
  rl = low >>> 0;
  rh = (ah + bh + (low >= TWO_32 ? 1 : 0)) >>> 0;
}

/** (rh, rl) = a rotated left by r (0 < r < 32). */
function rotl(ah: number, al: number, r: number): void {
  rh = ((ah << r) | (al >>> (32 - r))) >>> 0;
  rl = ((al << r) | (ah >>> (32 - r))) >>> 0;
}

/** (rh, rl) = round(acc, input) = rotl(acc + input * P2, 31) * P1. */
function round(acch: number, accl: number, inh: number, inl: number): void {
  mul(inh, inl, P2_HI, P2_LO);
  add(acch, accl, rh, rl);
  rotl(rh, rl, 31);
  mul(rh, rl, P1_HI, P1_LO);
}

/** (rh, rl) = (acc ^ round(0, value)) * P1 + P4. */
function mergeRound(acch: number, accl: number, vh: number, vl: number): void {
  round(0, 0, vh, vl);
  mul((acch ^ rh) >>> 0, (accl ^ rl) >>> 0, P1_HI, P1_LO);
  add(rh, rl, P4_HI, P4_LO);
}

function u32(data: Uint8Array, p: number): number {
  return (data[p]! | (data[p + 1]! << 8) | (data[p + 2]! << 16) | (data[p + 3]! << 24)) >>> 0;
}

/** The low 32 bits of XXH64(data, seed 0): what a zstd frame stores as its content checksum. */
export function xxh64Low32(data: Uint8Array): number {
  const length = data.length;
  let p = 0;
  let hh: number;
  let hl: number;
  if (length >= STRIPE) {
    add(P1_HI, P1_LO, P2_HI, P2_LO);
    let v1h = rh,
      v1l = rl;
    let v2h = P2_HI,
      v2l = P2_LO;
    let v3h = 0,
      v3l = 0;
    add(~P1_HI >>> 0, ~P1_LO >>> 0, 0, 1); // -P1
    let v4h = rh,
      v4l = rl;
    for (; p + STRIPE <= length; p += STRIPE) {
      round(v1h, v1l, u32(data, p + 4), u32(data, p));
      v1h = rh;
      v1l = rl;
      round(v2h, v2l, u32(data, p + 12), u32(data, p + 8));
      v2h = rh;
      v2l = rl;
      round(v3h, v3l, u32(data, p + 20), u32(data, p + 16));
      v3h = rh;
      v3l = rl;
      round(v4h, v4l, u32(data, p + 28), u32(data, p + 24));
      v4h = rh;
      v4l = rl;
    }
    rotl(v1h, v1l, 1);
    hh = rh;
    hl = rl;
    rotl(v2h, v2l, 7);
    add(hh, hl, rh, rl);
    hh = rh;
    hl = rl;
    rotl(v3h, v3l, 12);
    add(hh, hl, rh, rl);
    hh = rh;
    hl = rl;
    rotl(v4h, v4l, 18);
    add(hh, hl, rh, rl);
    mergeRound(rh, rl, v1h, v1l);
    mergeRound(rh, rl, v2h, v2l);
    mergeRound(rh, rl, v3h, v3l);
    mergeRound(rh, rl, v4h, v4l);
    hh = rh;
    hl = rl;
  } else {
    hh = P5_HI;
    hl = P5_LO;
  }
  add(hh, hl, Math.floor(length / TWO_32), length >>> 0);
  hh = rh;
  hl = rl;
  for (; p + 8 <= length; p += 8) {
    round(0, 0, u32(data, p + 4), u32(data, p));
    rotl((hh ^ rh) >>> 0, (hl ^ rl) >>> 0, 27);
    mul(rh, rl, P1_HI, P1_LO);
    add(rh, rl, P4_HI, P4_LO);
    hh = rh;
    hl = rl;
  }
  if (p + 4 <= length) {
    mul(0, u32(data, p), P1_HI, P1_LO);
    rotl((hh ^ rh) >>> 0, (hl ^ rl) >>> 0, 23);
    mul(rh, rl, P2_HI, P2_LO);
    add(rh, rl, P3_HI, P3_LO);
    hh = rh;
    hl = rl;
    p += 4;
  }
  for (; p < length; p++) {
    mul(0, data[p]!, P5_HI, P5_LO);
    rotl((hh ^ rh) >>> 0, (hl ^ rl) >>> 0, 11);
    mul(rh, rl, P1_HI, P1_LO);
    hh = rh;
    hl = rl;
  }
  // avalanche: h ^= h >> 33; h *= P2; h ^= h >> 29; h *= P3; h ^= h >> 32
  hl = (hl ^ (hh >>> 1)) >>> 0;
  mul(hh, hl, P2_HI, P2_LO);
  hh = rh;
  hl = rl;
  hl = (hl ^ ((hl >>> 29) | (hh << 3))) >>> 0;
  hh = (hh ^ (hh >>> 29)) >>> 0;
  mul(hh, hl, P3_HI, P3_LO);
  return (rl ^ rh) >>> 0;
}
