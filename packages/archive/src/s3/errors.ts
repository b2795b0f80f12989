import { ArchiveError, type ArchiveErrorCode } from '../errors.js';
import type { ObjectStoreOperation } from '../types.js';

/** Node socket error codes that mean "the store could not be reached or dropped us". */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
]);

const ACCESS_DENIED_NAMES = new Set(['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'CredentialsProviderError', 'ExpiredToken']);

const HTTP_NOT_FOUND = 404;
const HTTP_PRECONDITION_FAILED = 412;
const HTTP_CONFLICT = 409;
const HTTP_RANGE_NOT_SATISFIABLE = 416;
const HTTP_UNAUTHORIZED = 401;
const HTTP_FORBIDDEN = 403;
const HTTP_REQUEST_TIMEOUT = 408;
const HTTP_TOO_MANY_REQUESTS = 429;
const HTTP_SERVER_ERROR = 500;

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

/** The signals a call ran under: the caller's and the call's own deadline. */
export interface CallSignals {
  caller: AbortSignal | undefined;
  deadline: AbortSignal;
}

function codeForStatus(status: number, name: string): ArchiveErrorCode {
  if (status === HTTP_NOT_FOUND) return name === 'NoSuchBucket' ? 'ERR_CONFIG' : 'ERR_NOT_FOUND';
  if (status === HTTP_PRECONDITION_FAILED) return 'ERR_PRECONDITION_FAILED';
  if (status === HTTP_CONFLICT) return 'ERR_CONFLICT';
  if (status === HTTP_RANGE_NOT_SATISFIABLE) return 'ERR_INVALID_RANGE';
  if (status === HTTP_UNAUTHORIZED || status === HTTP_FORBIDDEN) return 'ERR_ACCESS_DENIED';
  if (status === HTTP_REQUEST_TIMEOUT) return 'ERR_TIMEOUT';
  if (status === HTTP_TOO_MANY_REQUESTS || status >= HTTP_SERVER_ERROR) return 'ERR_UNAVAILABLE';
  return 'ERR_REQUEST_REJECTED';
}

function codeFor(error: SdkErrorShape, status: number | undefined): ArchiveErrorCode {
  const name = typeof error.name === 'string' ? error.name : '';
  if (name === 'NoSuchBucket') return 'ERR_CONFIG';
  if (ACCESS_DENIED_NAMES.has(name)) return 'ERR_ACCESS_DENIED';
  if (status !== undefined) return codeForStatus(status, name);
  if (name === 'TimeoutError' || error.code === 'ETIMEDOUT') return 'ERR_TIMEOUT';
  if (typeof error.code === 'string' && NETWORK_CODES.has(error.code)) return 'ERR_UNAVAILABLE';
  // No HTTP answer at all (socket closed, DNS, TLS): the store was not reachable.
  return 'ERR_UNAVAILABLE';
}

/**
 * Translates an AWS SDK failure into an {@link ArchiveError}: the caller's abort wins, then the
 * call's deadline, then the HTTP status / S3 error name. The SDK error is kept as `cause`.
 */
export function fromSdkError(error: unknown, op: ObjectStoreOperation, key: string, signals: CallSignals): ArchiveError {
  if (error instanceof ArchiveError) return error;
  if (signals.caller?.aborted === true) return new ArchiveError('ERR_ABORTED', `${op} ${key}: aborted`, { op, key, cause: error });
  if (signals.deadline.aborted) {
    return new ArchiveError('ERR_TIMEOUT', `${op} ${key}: no answer within the deadline; a put or delete may or may not have taken effect`, {
      op,
      key,
      cause: error,
    });
  }
  const shape = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape;
  const rawStatus = shape.$metadata?.httpStatusCode;
  const status = typeof rawStatus === 'number' ? rawStatus : undefined;
  const code = codeFor(shape, status);
  const name = typeof shape.name === 'string' ? shape.name : 'Error';
  const detail = typeof shape.message === 'string' && shape.message !== '' ? `: ${shape.message}` : '';
  const where = status === undefined ? '' : ` (HTTP ${status})`;
  return new ArchiveError(code, `${op} ${key}: ${name}${where}${detail}`, { op, key, status, cause: error });
}
