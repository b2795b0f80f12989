import type { Storage, StorageFile } from '@nori/storage';
import { segmentName } from '@nori/wal';

/**
 * Writes chunk payloads into segment files of an empty destination: each payload at its offset of
 * its segment; a segment's file is fsynced before the next one is created.
 */
export class SegmentSink implements AsyncDisposable {
  readonly #storage: Storage;
  #file: StorageFile | undefined;
  #segmentId = -1;
  readonly #written: number[] = [];

  constructor(storage: Storage) {
    this.#storage = storage;
  }

  /** Segment ids written so far, in order. */
  get segments(): readonly number[] {
    return this.#written;
  }

  /** Writes `payload` at `offset` of segment `segmentId` (the continuity rule was checked). */
  async write(segmentId: number, offset: number, payload: Uint8Array): Promise<void> {
    if (segmentId !== this.#segmentId) {
      await this.#closeCurrent();
      this.#file = await this.#storage.open(segmentName(segmentId), { create: true });
      this.#segmentId = segmentId;
      this.#written.push(segmentId);
    }
    // An empty-segment chunk only creates the file.
    if (payload.length > 0) await (this.#file as StorageFile).writev([payload], offset);
  }

  /** Fsyncs and closes the last segment, then fsyncs the directory. */
  async finish(): Promise<void> {
    await this.#closeCurrent();
    await this.#storage.syncDir();
  }

  async #closeCurrent(): Promise<void> {
    const file = this.#file;
    if (file === undefined) return;
    this.#file = undefined;
    try {
      await file.datasync();
    } finally {
      await file.close();
    }
  }

  /** Closes an open file without syncing (after a failure). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.#file?.close();
    this.#file = undefined;
  }
}
