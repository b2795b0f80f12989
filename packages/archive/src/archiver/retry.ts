import { toError } from './errors.js';
import { backoffDelay, isRetryable, sleep } from './backoff.js';
import { emit, type ArchiverObserver } from './observer.js';
import type { RetryOptions } from './options.js';

/** What every store call of the archiver needs: backoff settings, the observer, a stop signal. */
export interface RetryContext {
  retry: Required<RetryOptions>;
  observer: ArchiverObserver | undefined;
  signal: AbortSignal | undefined;
}

/**
 * Runs `call` until it succeeds or fails with a non-retryable error, backing off with jitter
 * between attempts (each retry reported through `onRetry`). Retries forever: stop it with the
 * context's signal (`ERR_ABORTED`). `onAttempt` counts the attempts.
 */
export async function withRetry<T>(context: RetryContext, op: string, key: string | undefined, call: (attempt: number) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call(attempt);
    } catch (error) {
      if (!isRetryable(error) || context.signal?.aborted === true) throw error;
      const delayMs = backoffDelay(attempt, context.retry);
      emit(context.observer, 'onRetry', { op, key, attempt, delayMs, error: toError(error) });
      await sleep(delayMs, context.signal);
    }
  }
}
