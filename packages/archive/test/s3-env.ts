import { randomBytes } from 'node:crypto';
import { S3Client } from '@aws-sdk/client-s3';
import { describe, it } from 'vitest';
import type { S3ObjectStoreConfig } from '../src/index.js';

/**
 * The S3 endpoint of the integration tests, from the environment (see the README):
 * NORI_S3_ENDPOINT, NORI_S3_BUCKET, NORI_S3_REGION, NORI_S3_FORCE_PATH_STYLE, and credentials
 * through the AWS SDK's provider chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, a profile...).
 */
export interface S3TestEnv {
  config: S3ObjectStoreConfig;
  /** `rgw.sh`, when the store is the project's own RGW (restart tests need it). */
  rgwControl: string | undefined;
}

function readEnv(): S3TestEnv | string {
  const endpoint = process.env['NORI_S3_ENDPOINT'];
  const bucket = process.env['NORI_S3_BUCKET'];
  if (endpoint === undefined || bucket === undefined) {
    return 'NORI_S3_ENDPOINT / NORI_S3_BUCKET not set (start one with `bash packages/archive/scripts/rgw.sh start` and eval "$(bash packages/archive/scripts/rgw.sh env)")';
  }
  const region = process.env['NORI_S3_REGION'];
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
    rgwControl: process.env['NORI_RGW_CTL'],
  };
}

/** The env, or the reason there is none. */
export const s3Env: S3TestEnv | string = readEnv();

/** A fresh key prefix per test run, so runs and tests never see each other's objects. */
export function uniquePrefix(label: string): string {
  return `nori-test/${label}/${Date.now().toString(36)}-${randomBytes(4).toString('hex')}/`;
}

/** A raw client on the same endpoint (to tamper with objects behind the store's back). */
export function rawClient(env: S3TestEnv): S3Client {
  const { endpoint, region, forcePathStyle } = env.config;
  return new S3Client({
    ...(endpoint === undefined ? {} : { endpoint }),
    region: region ?? 'us-east-1',
    forcePathStyle: forcePathStyle ?? true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/**
 * Registers `body` when the S3 env is set. Without it, the suite is skipped with a printed reason
 * locally, and FAILS in CI (`CI` set): there an unreachable store is a broken pipeline.
 */
export function describeS3(name: string, body: (env: S3TestEnv) => void): void {
  if (typeof s3Env !== 'string') {
    body(s3Env);
    return;
  }
  const reason = s3Env;
  if (process.env['CI'] !== undefined && process.env['CI'] !== '') {
    describe(name, () => {
      it('has an S3 store to test against (CI)', () => {
        throw new Error(`CI: ${reason}`);
      });
    });
    return;
  }
  console.warn(`skipping ${name}: ${reason}`);
  describe.skip(name, () => {
    it('needs an S3 store', () => {});
  });
}
