import { applyRetention, listGenerations, restore, type ObjectStore } from '@nori/archive';
import { Wal, formatPosition } from '@nori/wal';

/** Prints what an archive holds: one line per generation. */
export async function describeArchive(store: ObjectStore, prefix: string): Promise<string[]> {
  const { generations, trimmedBelow } = await listGenerations({ store, prefix });
  return generations.map(
    (g) =>
      `generation ${g.generation} (${g.reason ?? '?'}): seqs ${g.firstSeq}..${g.lastSeq}, ` +
      `${g.firstPosition === undefined ? '-' : formatPosition(g.firstPosition)}..${g.endPosition === undefined ? '-' : formatPosition(g.endPosition)}, ` +
      `shipped ${g.lastCreatedAt.toISOString()}${trimmedBelow > 0 ? `, trimmed below seq ${trimmedBelow}` : ''}`,
  );
}

/** Restores the newest generation into `dir` (empty or new), then opens it as a writer would. */
export async function restoreAndOpen(store: ObjectStore, prefix: string, dir: string, signal?: AbortSignal): Promise<string> {
  const report = await restore({ store, prefix, dir, signal });
  const { wal, recovery } = await Wal.open({ dir });
  await wal.close();
  return `generation ${report.generation}: ${report.records} records, end ${formatPosition(report.end)}, opened ${recovery.records} records`;
}

/** Keeps the newest generation only; a dry run first shows what would go. */
export async function keepNewest(store: ObjectStore, prefix: string): Promise<string> {
  const plan = await applyRetention({ store, prefix, keepGenerations: 1, dryRun: true });
  if (plan.marker === undefined) return 'nothing to delete';
  const done = await applyRetention({ store, prefix, keepGenerations: 1 });
  return `deleted ${done.chunkKeys.length} chunks (${done.bytes} bytes) below seq ${done.marker}`;
}
