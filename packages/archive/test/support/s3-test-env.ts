import type { S3ObjectStoreConfig } from '../../src/index.js';

/**
 * The S3 endpoint of the integration tests, from the environment (see the README):
 * NORI_S3_ENDPOINT, NORI_S3_BUCKET, NORI_S3_REGION, NORI_S3_FORCE_PATH_STYLE, and credentials
 * through the AWS SDK's provider chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, a profile...).
 */
export interface S3TestEnv {
  config: S3ObjectStoreConfig;
  /** `rgw.sh`, when the store is the project's own RGW. */
  rgwControl: string | undefined;
  /**
   * The project RGW's second gateway, which only the restart tests stop and start (its own
   * endpoint on the same cluster), so tests running beside them keep theirs.
   */
  restartGateway: { control: string; endpoint: string } | undefined;
}

export function readEnv(): S3TestEnv | string {
  const endpoint = process.env['NORI_S3_ENDPOINT'];
  const bucket = process.env['NORI_S3_BUCKET'];
  if (endpoint === undefined || bucket === undefined) {
    return 'NORI_S3_ENDPOINT / NORI_S3_BUCKET not set (start one with `bash packages/archive/scripts/rgw.sh start` and eval "$(bash packages/archive/scripts/rgw.sh env)")';
  }
  const region = process.env['NORI_S3_REGION'];
  const control = process.env['NORI_RGW_CTL'];
  const restartEndpoint = process.env['NORI_RGW_RESTART_ENDPOINT'];
  return {
    config: {
      endpoint,
      bucket,
      ...(region === undefined ? {} : { region }),
      forcePathStyle: process.env['NORI_S3_FORCE_PATH_STYLE'] !== '0',
      // Fail fast when the store is down instead of waiting for the SDK's defaults.
      connectTimeoutMs: 2_000,
      timeoutMs: 15_000,
    },
    rgwControl: control,
    restartGateway: control === undefined || restartEndpoint === undefined ? undefined : { control, endpoint: restartEndpoint },
  };
}
