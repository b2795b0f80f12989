import type { Worker } from 'node:worker_threads';
import { ArchiveError } from '../errors.js';
import { fromWireError, type WorkerBoot, type WorkerOp, type WorkerResponse } from './protocol.js';
import { spawnArchiveWorker } from './spawn.js';

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

/** `ERR_CLOSED` of a closed worker store. */
function closedError(): ArchiveError {
  return new ArchiveError('ERR_CLOSED', 'the worker object store is closed');
}

/**
 * The main thread's side of one archive worker: numbered requests and their answers, aborts,
 * and the worker's end. A worker that exits or crashes is never silent: every pending and later
 * request rejects with `ERR_WORKER_EXITED`, and the exit listeners hear it at once. The thread
 * keeps the process alive only while a request waits for its answer.
 */
export class WorkerHost {
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  readonly #exitListeners = new Set<(error: ArchiveError) => void>();
  #nextId = 1;
  #failure: ArchiveError | undefined;
  #crash: Error | undefined;
  /** Resolves once the thread has exited (after `close()`, a crash, or an exit of its own). */
  readonly exited: Promise<void>;

  constructor(boot: WorkerBoot) {
    this.#worker = spawnArchiveWorker(boot);
    this.#worker.unref();
    this.#worker.on('message', (message: WorkerResponse) => this.#settle(message));
    this.#worker.on('error', (error) => (this.#crash ??= error));
    this.#worker.on('messageerror', (error) => (this.#crash ??= error));
    this.exited = new Promise((resolve) => {
      this.#worker.once('exit', (code) => {
        this.#exit(code);
        resolve();
      });
    });
  }

  /** Requests waiting for their answer (while there are any, the thread keeps the process alive). */
  get pending(): number {
    return this.#pending.size;
  }

  /** The worker's thread id (diagnostics). */
  get threadId(): number {
    return this.#worker.threadId;
  }

  /** Sends `op` and resolves with the worker's answer; `signal` aborts the call in the worker too. */
  request<T>(op: WorkerOp, args: unknown, signal?: AbortSignal): Promise<T> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    if (signal?.aborted === true) return Promise.reject(new ArchiveError('ERR_ABORTED', `${op}: aborted`, { op, cause: signal.reason }));
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => {
        if (!this.#pending.delete(id)) return;
        this.#worker.postMessage({ id, op: 'abort' });
        this.#refresh();
        reject(new ArchiveError('ERR_ABORTED', `${op}: aborted`, { op, cause: signal?.reason }));
      };
      this.#pending.set(id, {
        resolve: (value) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(value as T);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#refresh();
      this.#worker.postMessage({ id, op, args });
    });
  }

  /** Calls `listener` once if the worker exits without `close()` (crash, exit of its own). */
  onExit(listener: (error: ArchiveError) => void): () => void {
    this.#exitListeners.add(listener);
    return () => this.#exitListeners.delete(listener);
  }

  /** Makes the worker throw an uncaught error (tests of crash handling). */
  crashForTesting(): void {
    this.#worker.postMessage({ id: 0, op: 'crash' });
  }

  /** Terminates the thread; pending requests reject with `ERR_CLOSED`. Idempotent. */
  async close(): Promise<void> {
    if (this.#failure === undefined) {
      this.#failure = closedError();
      this.#rejectAll(this.#failure);
    }
    await this.#worker.terminate();
    await this.exited;
  }

  #settle(message: WorkerResponse): void {
    const pending = this.#pending.get(message.id);
    if (pending === undefined) return; // aborted meanwhile
    this.#pending.delete(message.id);
    this.#refresh();
    if (message.ok) pending.resolve(message.value);
    else pending.reject(fromWireError(message.error));
  }

  #exit(code: number): void {
    if (this.#failure !== undefined) return; // closed on purpose
    const why = this.#crash === undefined ? `exited with code ${code}` : `crashed: ${this.#crash.message}`;
    this.#failure = new ArchiveError('ERR_WORKER_EXITED', `the archive worker thread ${why}`, { cause: this.#crash });
    this.#rejectAll(this.#failure);
    for (const listener of this.#exitListeners) listener(this.#failure);
  }

  #rejectAll(error: ArchiveError): void {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    this.#refresh();
    for (const p of pending) p.reject(error);
  }

  /** Keeps the process alive only while an answer is awaited. */
  #refresh(): void {
    if (this.#pending.size > 0) this.#worker.ref();
    else this.#worker.unref();
  }
}
