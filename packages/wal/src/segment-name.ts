/** Rust nori-wal names segments `{:06}.wal`: six digits minimum, more once ids exceed 999999. */
const SEGMENT_NAME = /^(\d{6,})\.wal$/;

/** The file name of segment `id` (`000042.wal`). */
export function segmentName(id: number): string {
  return `${String(id).padStart(6, '0')}.wal`;
}

/** The id of a segment file name, or `undefined` if the name is not a segment. */
export function parseSegmentName(name: string): number | undefined {
  const match = SEGMENT_NAME.exec(name);
  if (match === null) return undefined;
  const id = Number(match[1]);
  return Number.isSafeInteger(id) && segmentName(id) === name ? id : undefined;
}
