import { once } from 'node:events';

/** A writable stream as the CLI needs it (`process.stdout`, a `PassThrough` in tests). */
export interface OutputStream extends NodeJS.WritableStream {
  isTTY?: boolean;
}

/**
 * Writes text with backpressure. A closed pipe (`EPIPE`, e.g. `nori-wal dump DIR | head`) is not
 * an error: `closed` turns true and further writes are dropped, so the command can stop early.
 */
export class Output {
  private broken = false;
  private failure: Error | undefined;

  constructor(readonly stream: OutputStream) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') this.broken = true;
      else this.failure = error;
    });
  }

  /** `true` once the reader went away. */
  get closed(): boolean {
    return this.broken;
  }

  /** Whether the stream is a terminal. */
  get isTTY(): boolean {
    return this.stream.isTTY === true;
  }

  /** Writes `text`, waiting for `drain` when the stream's buffer is full. */
  async write(text: string): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    if (this.broken || text.length === 0) return;
    if (this.stream.write(text)) return;
    try {
      await once(this.stream, 'drain');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED') this.broken = true;
      else throw error;
    }
  }
}
