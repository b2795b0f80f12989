import { ListObjectsV2Command, PutObjectCommand, GetObjectCommand, DeleteObjectsCommand } from '@aws-sdk/client-s3';
import { afterAll } from 'vitest';
import { runObjectStoreConformance } from '../src/conformance.js';
import { S3ObjectStore } from '../src/index.js';
import { describeS3, rawClient, uniquePrefix, type S3TestEnv } from './s3-env.js';

/** Flips one bit of the stored object but keeps its metadata (and so its recorded CRC32C). */
async function corruptObject(env: S3TestEnv, objectKey: string): Promise<void> {
  const client = rawClient(env);
  try {
    const original = await client.send(new GetObjectCommand({ Bucket: env.config.bucket, Key: objectKey }));
    const bytes = await (original.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray();
    bytes[0] = (bytes[0] as number) ^ 1;
    await client.send(new PutObjectCommand({ Bucket: env.config.bucket, Key: objectKey, Body: bytes, Metadata: original.Metadata }));
  } finally {
    client.destroy();
  }
}

/** Deletes every object under `prefix` (test cleanup). */
async function deletePrefix(env: S3TestEnv, prefix: string): Promise<void> {
  const client = rawClient(env);
  try {
    const listed = await client.send(new ListObjectsV2Command({ Bucket: env.config.bucket, Prefix: prefix }));
    const objects = (listed.Contents ?? []).flatMap((entry) => (entry.Key === undefined ? [] : [{ Key: entry.Key }]));
    if (objects.length > 0) await client.send(new DeleteObjectsCommand({ Bucket: env.config.bucket, Delete: { Objects: objects } }));
  } finally {
    client.destroy();
  }
}

describeS3('S3ObjectStore', (env) => {
  const stores: S3ObjectStore[] = [];
  afterAll(() => {
    for (const store of stores) store.destroy();
  });

  for (const serverChecksum of ['off', 'CRC32C'] as const) {
    runObjectStoreConformance(
      () => {
        const prefix = uniquePrefix(`conformance-${serverChecksum}`);
        const store = new S3ObjectStore({ ...env.config, prefix, listPageSize: 2, serverChecksum });
        stores.push(store);
        return {
          store,
          corrupt: (key) => corruptObject(env, prefix + key),
          cleanup: () => deletePrefix(env, prefix),
        };
      },
      { name: `S3ObjectStore (serverChecksum ${serverChecksum})`, supports: { corruption: true, listPageSize: 2 } },
    );
  }
});
