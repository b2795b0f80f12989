// Run from packages/kv-example: node --conditions=@nori/source --import tsx examples/quick-start.ts
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { KvError, KvStore } from '@nori/kv-example';

const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'nori-kv-example-'));

// Every write resolves once it is fsynced (group commit shares fsyncs between concurrent writes).
let store = await KvStore.open({ dir });
await store.put('user:1', JSON.stringify({ name: 'ada' }));
await store.put('session:9', 'token-abc', { ttlMs: 30 * 60_000 });
await store.batch([
  { type: 'put', key: 'order:7', value: '{"total":4200}' },
  { type: 'put', key: 'user:1:last-order', value: 'order:7' },
  { type: 'del', key: 'cart:1' },
]);
console.log(store.getString('user:1'));
for (const entry of store.scan({ prefix: 'user:' })) {
  console.log(new TextDecoder().decode(entry.key));
}

// Snapshot + deletion of the WAL segments the snapshot covers.
const compacted = await store.compact();
console.log(`snapshot of ${compacted.snapshot.entries} keys`);
await store.close();

// Reopen: snapshot + replay of the log after it.
store = await KvStore.open({ dir });
console.log(`reopened: ${store.openReport.keys} keys, ${store.openReport.replayedRecords} records replayed`);

try {
  await store.put('user:2', 'x', { ttlMs: -1 });
} catch (error) {
  if (error instanceof KvError) console.log(error.code);
}
await store.close();
await fs.rm(dir, { recursive: true, force: true });
