// Smoke test of the packed tarballs as a user installs them: ESM import, a log round trip.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Wal, WalError } from '@nori/wal';
import { MemoryStorage } from '@nori/storage';
import { encodeRecord, decodeRecord } from '@nori/codec';
import { createOtelObserver } from '@nori/observability-otel';
import { MemoryObjectStore } from '@nori/archive';

const dir = mkdtempSync(path.join(tmpdir(), 'nori-smoke-'));
try {
  const { wal } = await Wal.open({ dir, fsync: 'always' });
  await wal.append({ key: 'k', value: 'v' });
  await wal.close();
  const { wal: again, recovery } = await Wal.open({ dir, readOnly: true });
  if (recovery.records !== 1) throw new Error(`expected 1 record, recovered ${recovery.records}`);
  await again.close();
  const bytes = encodeRecord({ key: 'a', value: 'b' });
  if (decodeRecord(bytes).kind !== 'ok') throw new Error('codec round trip failed');
  if (typeof createOtelObserver !== 'function' || typeof MemoryStorage !== 'function') throw new Error('missing exports');
  const store = new MemoryObjectStore();
  await store.put('a/b', new TextEncoder().encode('object'));
  const object = await store.get('a/b');
  if (new TextDecoder().decode(object.bytes) !== 'object') throw new Error('archive round trip failed');
  const error = await Wal.open({ dir, maxSegmentSize: 1 }).catch((e) => e);
  if (!(error instanceof WalError) || error.code !== 'ERR_CONFIG') throw new Error(`expected ERR_CONFIG, got ${error}`);
  console.log('esm: ok');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
