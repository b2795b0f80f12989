import { ArchiveError, isArchiveError } from '../errors.js';
import type { RetryOptions } from './options.js';

/** Exponential backoff with full jitter: a uniform delay in [delay/2, delay], delay = initial * 2^(attempt-1), capped. */
export function backoffDelay(attempt: number, retry: Required<RetryOptions>): number {
  const exponent = Math.min(attempt - 1, 30);
  const ceiling = Math.min(retry.maxDelayMs, retry.initialDelayMs * 2 ** exponent);
  return Math.round(ceiling / 2 + (ceiling / 2) * retry.random());
}

/** `ERR_ABORTED` for a fired signal. */
export function abortedError(signal: AbortSignal, what: string): ArchiveError {
  return new ArchiveError('ERR_ABORTED', `${what}: aborted`, { cause: signal.reason });
}

/** Resolves after `ms`, or rejects with `ERR_ABORTED` as soon as `signal` fires. */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(abortedError(signal, 'archiver wait'));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortedError(signal as AbortSignal, 'archiver wait'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** True for store failures worth retrying (the archive may be reachable again later). */
export function isRetryable(error: unknown): boolean {
  return isArchiveError(error) && error.retryable;
}
