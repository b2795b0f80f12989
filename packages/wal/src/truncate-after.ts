import type { ResolvedConfig } from './config.js';
import { WalError, ioError } from './errors.js';
import type { LogView } from './log-view.js';
import { positionOfIndex } from './read-start.js';
import type { SealedLog } from './sealed-segments.js';
import { startWriter } from './startup.js';
import { cutLog } from './truncation.js';
import type { Position } from './types.js';
import type { Writer } from './writer.js';

/** What a `truncateAfter` cut changes in a WAL: its log view, and who writes. */
export interface CutHost {
  readonly config: ResolvedConfig;
  /** Segments, sequence numbers, open files and the cut state readers check. */
  readonly view: LogView;
  readonly sealedLog: SealedLog | undefined;
  /** Replaces the WAL's writer (undefined while the cut runs). */
  setWriter(writer: Writer | undefined): void;
  /** The end of the log while no writer runs. */
  setEnd(end: Position): void;
  /** The WAL failed: it accepts no more writes. */
  fail(error: WalError): void;
}

/**
 * `truncateAfter(index)` once it is its turn: stops `writer` (everything accepted is written and
 * fsynced first, so the old end is durable), cuts, and starts a new writer on the last segment,
 * also when the cut failed. A writer that cannot be stopped or restarted fails the WAL.
 */
export async function cutAfter(host: CutHost, writer: Writer, index: number): Promise<void> {
  await writer.close();
  if (writer.failed !== undefined) {
    host.fail(writer.failed);
    host.setWriter(undefined);
    throw writer.failed;
  }
  host.setEnd(writer.writtenPosition);
  host.setWriter(undefined);
  try {
    await cutWhileStopped(host, index);
  } finally {
    await restartWriter(host);
  }
}

/** The cut itself (no writer runs): validate against the flushed log, cut on disk, then in memory. */
async function cutWhileStopped(host: CutHost, index: number): Promise<void> {
  const { sequence, table, handles, cuts } = host.view;
  if (index < sequence.firstIndex - 1) {
    throw new WalError('ERR_INDEX_TRUNCATED', `truncateAfter(${index}): index ${index + 1} onwards must exist, the first record is ${sequence.firstIndex}`);
  }
  if (index > sequence.lastIndex) {
    throw new WalError('ERR_INDEX_OUT_OF_RANGE', `truncateAfter(${index}) is past the last record (lastIndex ${sequence.lastIndex})`);
  }
  if (index === sequence.lastIndex) return;
  const at = await positionOfIndex(host.view, index + 1);
  for (const id of table.ids()) if (id >= at.segmentId) await handles.forget(id);
  const sealedLog = host.sealedLog;
  await cutLog(host.config.storage, { index, at }, (id) => sealedLog?.forgetFrom(id) ?? Promise.resolve());
  for (const id of [...table.ids()]) if (id > at.segmentId) table.remove(id);
  table.reactivate(at.segmentId, at.offset);
  sequence.cutAfter(index, at);
  host.setEnd({ ...at });
  cuts.lastIndex = index;
  cuts.at = { ...at };
  cuts.epoch++;
}

/** Starts a writer on the last segment after a cut; a failure fails the WAL. */
async function restartWriter(host: CutHost): Promise<void> {
  const { table, sequence } = host.view;
  const ids = table.ids();
  const id = ids[ids.length - 1] as number;
  const size = table.sizeOf(id) ?? 0;
  const records = sequence.nextIndex - (sequence.firstIndexOf(id) ?? sequence.nextIndex);
  try {
    host.setWriter(
      await startWriter(
        host.config,
        { table, sequence, sealedLog: host.sealedLog },
        { id, size, fileSize: table.fileSizeOf(id), records },
        { sealed: false, lastWithData: undefined },
      ),
    );
  } catch (error) {
    const cause = ioError('restarting the writer after truncateAfter', error);
    const broken = new WalError('ERR_FAILED', `the WAL failed and accepts no more writes: ${cause.message}`, { cause });
    host.fail(broken);
    throw broken;
  }
}
