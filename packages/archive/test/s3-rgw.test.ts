import { DeleteObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, expect, it } from 'vitest';
import { describeS3, rawClient, uniquePrefix } from './s3-env.js';

// What the project's Ceph RGW (Debian 12: 16.2) does with S3's x-amz-checksum-crc32c. This pins
// the README's statement; when RGW starts checking the header, this test says so.
describeS3('Ceph RGW and x-amz-checksum-crc32c', (env) => {
  const onRgw = env.rgwControl !== undefined;
  const client = rawClient(env);
  afterAll(() => client.destroy());

  it.skipIf(!onRgw)('accepts a wrong checksum header and stores no checksum (so only the metadata CRC32C protects objects)', async () => {
    const key = `${uniquePrefix('rgw-checksum')}wrong`;
    const bytes = new Uint8Array([1, 2, 3]);
    await client.send(new PutObjectCommand({ Bucket: env.config.bucket, Key: key, Body: bytes, ChecksumCRC32C: 'AAAAAA==' }));
    const head = await client.send(new HeadObjectCommand({ Bucket: env.config.bucket, Key: key, ChecksumMode: 'ENABLED' }));
    await client.send(new DeleteObjectCommand({ Bucket: env.config.bucket, Key: key }));
    expect(head.ChecksumCRC32C).toBeUndefined();
  });
});
