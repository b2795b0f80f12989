import { randomBytes } from 'node:crypto';
import type { S3ObjectStoreConfig } from '@nori/archive';
import { KvError } from '../errors.js';

/** How to get an S3 endpoint for `demo --archive` (the project's local Ceph RGW). */
export const S3_ENV_HELP =
  'start the local Ceph RGW with `bash packages/archive/scripts/rgw.sh start` and load its settings with ' +
  '`eval "$(bash packages/archive/scripts/rgw.sh env)"` (or set NORI_S3_ENDPOINT, NORI_S3_BUCKET, NORI_S3_REGION and AWS credentials)';

/**
 * The S3 store of `demo --archive`, from the same variables the archive tests read:
 * NORI_S3_ENDPOINT, NORI_S3_BUCKET, NORI_S3_REGION, NORI_S3_FORCE_PATH_STYLE (`0` for
 * virtual-hosted URLs); credentials come from the AWS SDK's provider chain. Throws
 * `ERR_INVALID_ARGUMENT` with {@link S3_ENV_HELP} when the endpoint or bucket is unset.
 */
export function demoS3Config(env: NodeJS.ProcessEnv = process.env): S3ObjectStoreConfig {
  const endpoint = env['NORI_S3_ENDPOINT'];
  const bucket = env['NORI_S3_BUCKET'];
  if (endpoint === undefined || endpoint === '' || bucket === undefined || bucket === '') {
    throw new KvError('ERR_INVALID_ARGUMENT', `demo --archive needs an S3 store, but NORI_S3_ENDPOINT / NORI_S3_BUCKET are not set: ${S3_ENV_HELP}`);
  }
  const region = env['NORI_S3_REGION'];
  return {
    endpoint,
    bucket,
    ...(region === undefined || region === '' ? {} : { region }),
    forcePathStyle: env['NORI_S3_FORCE_PATH_STYLE'] !== '0',
    connectTimeoutMs: 2_000,
    timeoutMs: 15_000,
  };
}

/** A fresh archive prefix per demo run, so runs never see each other's objects. */
export function demoArchivePrefix(): string {
  return `nori-kv-demo/${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}
