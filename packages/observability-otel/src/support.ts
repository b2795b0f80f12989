/** Helpers shared by the WAL and archiver adapters (validation, error types, instrument options). */
import {
  diag,
  type Attributes,
  type BatchObservableCallback,
  type Meter,
  type MetricOptions,
  type Observable,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { NoriOtelError } from './errors.js';
import type { NoriWalMetricDescriptor } from './names.js';

/** Instrumentation scope name used when the meter or tracer comes from the global provider. */
export const INSTRUMENTATION_SCOPE = '@nori/observability-otel';

/** Longest accepted instance name (`walName`, `archiverName`). */
export const MAX_INSTANCE_NAME_LENGTH = 128;

/** What an error code must look like to become an `error.type` value (bounded, no free text). */
const ERROR_CODE_PATTERN = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
/** How deep a `cause` chain is followed. */
const MAX_CAUSE_DEPTH = 8;

/** An `ERR_INVALID_OPTIONS` error. */
export function invalid(message: string): NoriOtelError {
  return new NoriOtelError('ERR_INVALID_OPTIONS', message);
}

/** True for non-null objects. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** True when `value` is an object with a function named `method`. */
export function hasMethod(value: unknown, method: string): boolean {
  return isObject(value) && typeof value[method] === 'function';
}

/** Checks an instance-name option: a string of 1-128 characters. */
export function validateInstanceName(option: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_INSTANCE_NAME_LENGTH) {
    throw invalid(`options.${option} must be a string of 1-${MAX_INSTANCE_NAME_LENGTH} characters`);
  }
  return value;
}

/** Throws `ERR_INVALID_OPTIONS` naming the first key of `options` not in `allowed`. */
export function rejectUnknownOptions(options: object, allowed: ReadonlySet<string>): void {
  for (const key of Object.keys(options)) {
    if (!allowed.has(key)) throw invalid(`options.${key} is not an option (use ${[...allowed].join(', ')})`);
  }
}

/** Wall-clock now in epoch milliseconds with sub-millisecond precision (span timestamps). */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * Runs `fill` on a span that started `durationMs` before now (the events report work once it is
 * done), then ends it now.
 */
export function recordFinishedSpan(tracer: Tracer, name: string, timing: { durationMs: number; attributes: Attributes }, fill?: (span: Span) => void): void {
  const end = nowMs();
  const span = tracer.startSpan(name, { startTime: end - timing.durationMs, attributes: timing.attributes });
  fill?.(span);
  span.end(end);
}

function ownCode(value: unknown): string | undefined {
  const candidate = isObject(value) ? value['code'] : undefined;
  return typeof candidate === 'string' && ERROR_CODE_PATTERN.test(candidate) ? candidate : undefined;
}

function nameOrOther(error: unknown): string {
  const name = isObject(error) ? error['name'] : undefined;
  return typeof name === 'string' && ERROR_CODE_PATTERN.test(name) ? name : '_OTHER';
}

/**
 * `error.type` for a WAL failure: the deepest `code` in the `cause` chain (the WAL wraps an `EIO`
 * or `ENOSPC` from storage in `WalError` `ERR_FAILED`), else the error's name, else `_OTHER`.
 */
export function deepestErrorType(error: unknown): string {
  let code: string | undefined;
  let current: unknown = error;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && isObject(current); depth++) {
    code = ownCode(current) ?? code;
    current = current['cause'];
  }
  return code ?? nameOrOther(error);
}

/**
 * `error.type` for an archive error: its own `code` (the stable `ArchiveError` code such as
 * `ERR_UNAVAILABLE`, not the SDK's cause below it), else the deepest code, name or `_OTHER`.
 */
export function outerErrorType(error: unknown): string {
  return ownCode(error) ?? deepestErrorType(error);
}

/** Description, unit and (for histograms) bucket advice of metric `name` from `descriptors`. */
export function instrumentOptions(descriptors: readonly NoriWalMetricDescriptor[], name: string, buckets?: readonly number[]): MetricOptions {
  const d = descriptors.find((m) => m.name === name);
  if (d === undefined) throw new Error(`internal: ${name} missing from the metric descriptors`);
  return buckets === undefined
    ? { description: d.description, unit: d.unit }
    : { description: d.description, unit: d.unit, advice: { explicitBucketBoundaries: [...buckets] } };
}

/**
 * Wraps every handler in `methods` so a throwing SDK, view or span processor is reported to
 * OpenTelemetry's `diag` logger (every time) instead of reaching the WAL or archiver, which
 * report only the first error of an observer. try/catch costs nothing while nothing throws.
 */
export function guardHandlers<T extends object>(handlers: Required<T>, methods: readonly (keyof T & string)[]): T {
  const guarded: Record<string, (event: unknown) => void> = {};
  for (const method of methods) {
    const handler = handlers[method] as (event: unknown) => void;
    guarded[method] = (event) => {
      try {
        handler(event);
      } catch (error) {
        diag.error(`${INSTRUMENTATION_SCOPE}: recording ${method} failed`, error);
      }
    };
  }
  return guarded as T;
}

/** Frozen attribute sets per bounded key, built on first use (the hot path allocates nothing). */
export function attributeCache(): (key: string, build: () => Attributes) => Attributes {
  const cache = new Map<string, Attributes>();
  return (key, build) => {
    let attrs = cache.get(key);
    if (attrs === undefined) {
      attrs = Object.freeze(build());
      cache.set(key, attrs);
    }
    return attrs;
  };
}

/** A registered batch callback; `detach()` (or `using`) removes it, idempotently. */
export interface CallbackRegistration extends Disposable {
  /** `true` until {@link CallbackRegistration.detach} is called. */
  readonly attached: boolean;
  /** Unregister the callback. */
  detach(): void;
}

/** Registers `callback` for `observables` on `meter` and returns the handle that removes it. */
export function registerBatchCallback(meter: Meter, callback: BatchObservableCallback, observables: Observable[]): CallbackRegistration {
  meter.addBatchObservableCallback(callback, observables);
  let attached = true;
  const registration: CallbackRegistration = {
    get attached() {
      return attached;
    },
    detach() {
      if (!attached) return;
      attached = false;
      meter.removeBatchObservableCallback(callback, observables);
    },
    [Symbol.dispose]() {
      registration.detach();
    },
  };
  return registration;
}
