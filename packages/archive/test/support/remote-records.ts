/** The record with id `id` of the remote-durable kill test: its key names the id, its value is derived from it. */
export function remoteRecord(id: number, seed: number): { key: string; value: string } {
  const length = 16 + (((id * 2654435761 + seed) >>> 0) % 700);
  return { key: `id-${id}`, value: `${id}:`.padEnd(length, String.fromCharCode(97 + (id % 26))) };
}

/** The id of a record key written by {@link remoteRecord}, or undefined. */
export function idOfKey(key: string): number | undefined {
  const match = /^id-(\d+)$/.exec(key);
  return match === null ? undefined : Number(match[1]);
}
