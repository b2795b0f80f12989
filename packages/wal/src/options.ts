import { WalError } from './errors.js';
import type { AppendOptions, ReadOptions } from './types.js';

/** Duck-typed, so AbortSignals of other realms and polyfills pass. */
export function isAbortSignal(value: unknown): value is AbortSignal {
  if (typeof value !== 'object' || value === null) return false;
  const signal = value as Partial<AbortSignal>;
  return typeof signal.aborted === 'boolean' && typeof signal.addEventListener === 'function' && typeof signal.removeEventListener === 'function';
}

/**
 * Throws `ERR_INVALID_ARGUMENT` unless `options` is undefined or an object whose keys are all in
 * `allowed`: a typo such as `{ durabel: true }` or `{ follw: true }` must not be silently ignored.
 */
function checkKeys(what: string, options: unknown, allowed: readonly string[]): void {
  if (typeof options !== 'object' || options === null) {
    throw new WalError('ERR_INVALID_ARGUMENT', `${what} options must be an object, got ${options === null ? 'null' : typeof options}`);
  }
  for (const key in options) {
    if (!allowed.includes(key)) {
      throw new WalError('ERR_INVALID_ARGUMENT', `unknown ${what} option ${JSON.stringify(key)} (expected ${allowed.join(', ')})`);
    }
  }
}

function checkBoolean(what: string, name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'boolean') {
    throw new WalError('ERR_INVALID_ARGUMENT', `${what} option ${name} must be a boolean, got ${typeof value}`);
  }
}

function checkSignal(what: string, value: unknown): void {
  if (value !== undefined && !isAbortSignal(value)) throw new WalError('ERR_INVALID_ARGUMENT', `${what} option signal must be an AbortSignal`);
}

/** Throws `ERR_ABORTED` (cause: the signal's reason) if `signal` has fired. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted === true) throw new WalError('ERR_ABORTED', `${what} aborted`, { cause: signal.reason });
}

const APPEND_OPTIONS = ['durable', 'signal'] as const;
const READ_OPTIONS = ['from', 'fromIndex', 'toIndex', 'limit', 'follow', 'pollIntervalMs', 'signal', 'copy', 'reuseBuffers'] as const;

/**
 * Checks `append`/`appendBatch` options with a few typeof checks (hot path: no schema).
 * @throws WalError `ERR_INVALID_ARGUMENT`.
 */
export function checkAppendOptions(options: AppendOptions | undefined): void {
  if (options === undefined) return;
  checkKeys('append', options, APPEND_OPTIONS);
  checkBoolean('append', 'durable', options.durable);
  checkSignal('append', options.signal);
}

/**
 * Checks `read` options (unknown keys, types); `from` and `pollIntervalMs` values are checked
 * where they are used.
 * @throws WalError `ERR_INVALID_ARGUMENT`.
 */
export function checkReadOptions(options: ReadOptions | undefined): void {
  if (options === undefined) return;
  checkKeys('read', options, READ_OPTIONS);
  checkBoolean('read', 'follow', options.follow);
  checkBoolean('read', 'copy', options.copy);
  checkBoolean('read', 'reuseBuffers', options.reuseBuffers);
  checkSignal('read', options.signal);
  for (const name of ['fromIndex', 'toIndex', 'limit'] as const) {
    const value = options[name];
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) {
      throw new WalError('ERR_INVALID_ARGUMENT', `read option ${name} must be a non-negative safe integer, got ${String(value)}`);
    }
  }
  if (options.from !== undefined && options.fromIndex !== undefined) {
    throw new WalError('ERR_INVALID_ARGUMENT', 'read options from and fromIndex exclude each other');
  }
  if (options.copy === true && options.reuseBuffers === true) {
    throw new WalError('ERR_INVALID_ARGUMENT', 'read options copy and reuseBuffers exclude each other (copies never point into the buffers)');
  }
}

/** Throws `ERR_INVALID_ARGUMENT` unless `index` is a sequence number (a positive safe integer). */
export function checkIndex(what: string, index: unknown): asserts index is number {
  if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 0) {
    throw new WalError('ERR_INVALID_ARGUMENT', `${what}: index must be a non-negative safe integer, got ${String(index)}`);
  }
}
