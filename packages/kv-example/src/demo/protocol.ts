/** Messages the demo's writer child sends its parent over the IPC channel. */
export type WriterMessage =
  | {
      type: 'acked';
      /** Operations 0..acked-1 are all acknowledged (durable). */
      acked: number;
      /** WAL records those operations hold. */
      records: number;
      /** Operations handed to the store so far (acknowledged or not). */
      issued: number;
      /** WAL fsyncs so far. */
      fsyncs: number;
      /** Milliseconds since the child started writing. */
      elapsedMs: number;
    }
  | {
      type: 'compacting';
      /** Operation count acknowledged when compaction started. */
      atOperation: number;
    }
  | {
      type: 'compacted';
      /** Operation count acknowledged when compaction started. */
      atOperation: number;
      entries: number;
      snapshotBytes: number;
      segmentsDeleted: number;
      durationMs: number;
    }
  | { type: 'finished'; elapsedMs: number }
  | { type: 'failed'; message: string };

/** Arguments the parent passes to the writer child. */
export interface WriterArguments {
  dir: string;
  records: number;
  seed: number;
  startedAt: number;
  /** Start one online compaction once this many operations are acknowledged. */
  compactAt: number;
  /**
   * Write remote-durably to this archive prefix (the S3 store comes from the environment, see
   * `demo --archive`); no compaction then.
   */
  archivePrefix?: string | undefined;
}

/** True for a structurally valid {@link WriterMessage}. */
export function isWriterMessage(value: unknown): value is WriterMessage {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}
