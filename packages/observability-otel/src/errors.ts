/** Stable codes carried by {@link NoriOtelError}; callers switch on these, never on messages. */
export type NoriOtelErrorCode =
  /** An option passed to `createOtelObserver` or `createArchiverOtelObserver` has the wrong type or value, or is unknown. */
  | 'ERR_INVALID_OPTIONS'
  /** An argument (an observer for `combineObservers`, a WAL or archiver for `attach`) is not usable. */
  | 'ERR_INVALID_ARGUMENT'
  /** `attach` was called while another WAL (archiver) is still attached to the same instrumentation. */
  | 'ERR_ALREADY_ATTACHED';

/**
 * The one error class of `@nori/observability-otel`. Thrown only for misuse (bad options or
 * arguments); recording telemetry never throws into the WAL or the archiver.
 */
export class NoriOtelError extends Error {
  /** Stable machine-readable code. */
  readonly code: NoriOtelErrorCode;

  /**
   * @param code - stable code, see {@link NoriOtelErrorCode}
   * @param message - human-readable explanation naming the offending option or argument
   */
  constructor(code: NoriOtelErrorCode, message: string) {
    super(message);
    this.name = 'NoriOtelError';
    this.code = code;
  }
}
