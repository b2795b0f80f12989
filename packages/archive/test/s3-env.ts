import { randomBytes } from 'node:crypto';
import { S3Client } from '@aws-sdk/client-s3';
import { describe, it } from 'vitest';
import { readEnv, type S3TestEnv } from './support/s3-test-env.js';

export type { S3TestEnv } from './support/s3-test-env.js';

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
