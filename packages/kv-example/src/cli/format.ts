/** Formatting helpers for human-readable CLI output. */

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });

/** `123456` -> `123,456`. */
export function formatCount(value: number): string {
  return integer.format(value);
}

/** Bytes with a binary unit: `1536` -> `1.5 KiB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${oneDecimal.format(value)} ${units[unit] as string}`;
}

/** Milliseconds: `0.42` -> `0.4 ms`, `1530` -> `1.53 s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${oneDecimal.format(ms)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

/** A rate: `count` events in `ms` -> `12,345/s`. */
export function formatRate(count: number, ms: number, unit = 'ops'): string {
  if (ms <= 0) return `- ${unit}/s`;
  return `${formatCount((count * 1000) / ms)} ${unit}/s`;
}

/** `n` plus the singular or plural noun. */
export function plural(n: number, singular: string, pluralForm = `${singular}s`): string {
  return `${formatCount(n)} ${n === 1 ? singular : pluralForm}`;
}

/** Renders rows as an aligned table with a header rule. The first row is the header. */
export function renderTable(rows: readonly (readonly string[])[], rightAligned: ReadonlySet<number> = new Set()): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  const line = (row: readonly string[]): string =>
    row
      .map((cell, i) => (rightAligned.has(i) ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const [header, ...body] = rows;
  if (header === undefined) return '';
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(header), rule, ...body.map(line)].join('\n');
}

/** Renders `label  value` pairs with aligned labels. */
export function renderPairs(pairs: readonly (readonly [string, string])[]): string {
  const width = Math.max(...pairs.map(([label]) => label.length));
  return pairs.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n');
}
