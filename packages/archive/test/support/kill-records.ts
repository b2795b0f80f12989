/** Records of the SIGKILL campaign: record `id`'s bytes are a pure function of `id`. */

const MIN_VALUE = 16;
const VALUE_SPREAD = 600;

/** The key of record `id`. */
export function killKey(id: number): string {
  return `r${id}`;
}

/** The id in a campaign key, or undefined for any other key. */
export function parseKillKey(key: Uint8Array): number | undefined {
  const text = Buffer.from(key).toString('latin1');
  return /^r\d+$/.test(text) ? Number(text.slice(1)) : undefined;
}

/** The value of record `id`: 16..615 bytes derived from the id. */
export function killValue(id: number): Uint8Array {
  const length = MIN_VALUE + ((id * 7919) % VALUE_SPREAD);
  const bytes = new Uint8Array(length);
  let x = (id * 2654435761) >>> 0;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    bytes[i] = x >>> 24;
  }
  return bytes;
}
