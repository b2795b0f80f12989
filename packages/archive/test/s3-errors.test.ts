import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ArchiveError, S3ObjectStore, type ArchiveErrorCode } from '../src/index.js';

// A local HTTP server plays the S3 endpoint, so status mapping, timeouts and refused
// connections are tested without a real store.

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret-never-printed' };
const servers: http.Server[] = [];
const stores: S3ObjectStore[] = [];

afterEach(async () => {
  for (const store of stores.splice(0)) store.destroy();
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function serve(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function storeAt(endpoint: string, options: { timeoutMs?: number; maxAttempts?: number } = {}): S3ObjectStore {
  const store = new S3ObjectStore({ endpoint, bucket: 'bucket', region: 'us-east-1', forcePathStyle: true, credentials, maxAttempts: 1, ...options });
  stores.push(store);
  return store;
}

function s3Error(status: number, code: string): http.RequestListener {
  return (request, response) => {
    request.resume();
    response.writeHead(status, { 'content-type': 'application/xml' });
    response.end(request.method === 'HEAD' ? undefined : `<?xml version="1.0"?><Error><Code>${code}</Code><Message>${code} here</Message></Error>`);
  };
}

async function failure(promise: Promise<unknown>): Promise<ArchiveError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ArchiveError);
    return error as ArchiveError;
  }
  throw new Error('expected a rejection');
}

describe('S3ObjectStore error mapping', () => {
  const cases: [number, string, ArchiveErrorCode][] = [
    [412, 'PreconditionFailed', 'ERR_PRECONDITION_FAILED'],
    [409, 'ConditionalRequestConflict', 'ERR_CONFLICT'],
    [404, 'NoSuchKey', 'ERR_NOT_FOUND'],
    [404, 'NoSuchBucket', 'ERR_CONFIG'],
    [403, 'AccessDenied', 'ERR_ACCESS_DENIED'],
    [403, 'SignatureDoesNotMatch', 'ERR_ACCESS_DENIED'],
    [503, 'SlowDown', 'ERR_UNAVAILABLE'],
    [500, 'InternalError', 'ERR_UNAVAILABLE'],
    [400, 'InvalidRequest', 'ERR_REQUEST_REJECTED'],
  ];
  for (const [status, name, code] of cases) {
    it(`maps HTTP ${status} ${name} to ${code}`, async () => {
      const store = storeAt(await serve(s3Error(status, name)));
      const error = await failure(store.put('a/key', new Uint8Array([1]), { ifNoneMatch: '*' }));
      expect(error.code).toBe(code);
      expect(error.status).toBe(status);
      expect(error.key).toBe('a/key');
      expect(error.op).toBe('put');
    });
  }

  it('maps a 404 to a HEAD (no body) to ERR_NOT_FOUND', async () => {
    const store = storeAt(await serve(s3Error(404, 'NotFound')));
    expect((await failure(store.head('k'))).code).toBe('ERR_NOT_FOUND');
  });

  it('fails a full read of an object without nori metadata with ERR_CHECKSUM_MISSING', async () => {
    const store = storeAt(
      await serve((request, response) => {
        response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': '3', etag: '"e"' });
        response.end(Buffer.from([1, 2, 3]));
      }),
    );
    expect((await failure(store.get('foreign'))).code).toBe('ERR_CHECKSUM_MISSING');
  });

  it('fails with ERR_CHECKSUM_MISMATCH naming the key when the bytes differ from the metadata CRC32C', async () => {
    const store = storeAt(
      await serve((request, response) => {
        response.writeHead(200, { 'content-length': '3', 'x-amz-meta-nori-crc32c': '00000000', etag: '"e"' });
        response.end(Buffer.from([1, 2, 3]));
      }),
    );
    const error = await failure(store.get('seg/000001.wal'));
    expect(error.code).toBe('ERR_CHECKSUM_MISMATCH');
    expect(error.message).toContain('seg/000001.wal');
  });

  it('reports a refused connection as retryable ERR_UNAVAILABLE', async () => {
    // A port that was just free: nothing listens there.
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const error = await failure(storeAt(`http://127.0.0.1:${port}`).put('k', new Uint8Array([1])));
    expect(error.code).toBe('ERR_UNAVAILABLE');
    expect(error.retryable).toBe(true);
  });

  it('reports a store that never answers as ERR_TIMEOUT after timeoutMs', async () => {
    const store = storeAt(await serve(() => {}), { timeoutMs: 200 });
    const error = await failure(store.put('k', new Uint8Array([1])));
    expect(error.code).toBe('ERR_TIMEOUT');
    expect(error.retryable).toBe(true);
  });

  it('reports the caller aborting an in-flight call as ERR_ABORTED, not a timeout', async () => {
    const store = storeAt(await serve(() => {}));
    const controller = new AbortController();
    const pending = store.get('k', { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    expect((await failure(pending)).code).toBe('ERR_ABORTED');
  });

  it('never puts the secret access key in an error message', async () => {
    const store = storeAt(await serve(s3Error(403, 'SignatureDoesNotMatch')));
    const error = await failure(store.get('k'));
    expect(`${error.message} ${String(error.stack)}`).not.toContain(credentials.secretAccessKey);
  });
});

describe('S3ObjectStore config', () => {
  function configError(config: unknown): ArchiveError {
    try {
      new S3ObjectStore(config as ConstructorParameters<typeof S3ObjectStore>[0]);
    } catch (error) {
      expect(error).toBeInstanceOf(ArchiveError);
      return error as ArchiveError;
    }
    throw new Error('expected ERR_CONFIG');
  }

  it.each([
    ['a missing bucket', {}],
    ['an invalid bucket name', { bucket: 'Not_A_Bucket' }],
    ['a non-http endpoint', { bucket: 'bucket', endpoint: 'ftp://example.com' }],
    ['a malformed endpoint', { bucket: 'bucket', endpoint: 'not a url' }],
    ['an unknown option', { bucket: 'bucket', endpointt: 'http://x' }],
    ['a zero timeout', { bucket: 'bucket', timeoutMs: 0 }],
    ['a list page above 1000', { bucket: 'bucket', listPageSize: 1001 }],
    ['an unknown serverChecksum', { bucket: 'bucket', serverChecksum: 'MD5' }],
    ['credentials without a secret', { bucket: 'bucket', credentials: { accessKeyId: 'x' } }],
    ['an invalid prefix', { bucket: 'bucket', prefix: 'a//' }],
  ])('refuses %s with ERR_CONFIG', (_label, config) => {
    expect(configError(config).code).toBe('ERR_CONFIG');
  });

  it('names the bad field but never echoes a credential value', () => {
    const error = configError({ bucket: 'bucket', credentials: { accessKeyId: 'AKIDLEAK', secretAccessKey: 42 } });
    expect(error.message).toContain('credentials');
    expect(error.message).not.toContain('AKIDLEAK');
  });

  it('accepts a minimal config and exposes bucket and prefix', () => {
    const store = new S3ObjectStore({ bucket: 'my-bucket', prefix: 'wal/one/', region: 'eu-west-1' });
    stores.push(store);
    expect([store.bucket, store.prefix]).toEqual(['my-bucket', 'wal/one/']);
  });
});
