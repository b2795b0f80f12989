/**
 * Pure-JS CRC32C (Castagnoli, reflected polynomial 0x82F63B78), slicing by 16 bytes. It serves
 * small inputs (below the native threshold) and every input where no addon loads. In-house
 * rather than a CommonJS dependency: an ESM import costs a process nothing measurable, a CommonJS
 * one ~3 ms of cold start (the CommonJS loader and its export lexer).
 */

/** CRC32C polynomial, bit-reflected. */
const CASTAGNOLI_REFLECTED = 0x82f63b78;
/** Bytes consumed per step of the main loop (one table per byte). */
const SLICE = 16;
const TABLE_SIZE = 256;

/** `tables[k][b]`: the CRC contribution of byte `b` followed by `k` zero bytes (2 KiB each). */
function buildTables(): Int32Array[] {
  const all = new Int32Array(SLICE * TABLE_SIZE);
  for (let n = 0; n < TABLE_SIZE; n++) {
    let c = n;
    for (let bit = 0; bit < 8; bit++) c = c & 1 ? CASTAGNOLI_REFLECTED ^ (c >>> 1) : c >>> 1;
    all[n] = c;
  }
  for (let n = 0; n < TABLE_SIZE; n++) {
    let v = all[n]!;
    for (let k = 1; k < SLICE; k++) {
      v = (v >>> 8) ^ all[v & 0xff]!;
      all[k * TABLE_SIZE + n] = v;
    }
  }
  return Array.from({ length: SLICE }, (_, k) => all.subarray(k * TABLE_SIZE, (k + 1) * TABLE_SIZE));
}

// One binding per table (not an array of them): V8 then knows each table's length and drops the
// bounds checks; tables are 16 KiB in all, built at import in ~0.1 ms.
const [T0, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15] = buildTables() as [
  Int32Array,
  Int32Array,
  Int32Array,
  Int32Array,
  Int32Array,
  Int32Array,
  Int32Array,
  Int32Array,
  Int32Array,
  Int32Array,
  Int32Array,
  Int32Array,
  Int32Array,
  Int32Array,
  Int32Array,
  Int32Array,
];

/**
 * CRC32C of `data[start, end)` (default: all of it), continuing from `initial`; unsigned. The
 * range form spares a scanner the `subarray` view per record.
 */
export function crc32cJs(data: Uint8Array, initial: number, start = 0, end = data.length): number {
  let c = ~initial;
  let i = start;
  for (const last = end - SLICE; i <= last;) {
    c =
      T15[data[i++]! ^ (c & 0xff)]! ^
      T14[data[i++]! ^ ((c >> 8) & 0xff)]! ^
      T13[data[i++]! ^ ((c >> 16) & 0xff)]! ^
      T12[data[i++]! ^ (c >>> 24)]! ^
      T11[data[i++]!]! ^
      T10[data[i++]!]! ^
      T9[data[i++]!]! ^
      T8[data[i++]!]! ^
      T7[data[i++]!]! ^
      T6[data[i++]!]! ^
      T5[data[i++]!]! ^
      T4[data[i++]!]! ^
      T3[data[i++]!]! ^
      T2[data[i++]!]! ^
      T1[data[i++]!]! ^
      T0[data[i++]!]!;
  }
  while (i < end) c = (c >>> 8) ^ T0[(c ^ data[i++]!) & 0xff]!;
  return ~c >>> 0;
}

/**
 * `crc` times x^8 modulo the polynomial: the CRC register after one more zero byte without the
 * pre/post inversion, i.e. how far a CRC's contribution moves when a byte follows it.
 */
export function crc32cShiftByte(crc: number): number {
  return ((crc >>> 8) ^ T0[crc & 0xff]!) >>> 0;
}

/**
 * `a` times `b` modulo the polynomial, both bit-reflected (zlib's `multmodp`): 32 steps at most.
 * With `a` = x^(8n) it moves a CRC contribution `n` bytes further, like `n` {@link crc32cShiftByte}s.
 */
export function crc32cMultiply(a: number, b: number): number {
  let product = 0;
  let factor = b >>> 0;
  for (let bit = 0x80000000; bit !== 0; bit >>>= 1) {
    if ((a & bit) !== 0) product ^= factor;
    factor = factor & 1 ? (factor >>> 1) ^ CASTAGNOLI_REFLECTED : factor >>> 1;
  }
  return product >>> 0;
}

/** x^(2^k) modulo the polynomial, bit-reflected (x^1 is bit 30). */
export function crc32cPowerOfTwo(k: number): number {
  let value = 0x40000000;
  for (let i = 0; i < k; i++) value = crc32cMultiply(value, value);
  return value;
}
