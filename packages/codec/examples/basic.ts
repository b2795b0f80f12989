// Run: node --conditions=@nori/source --import tsx examples/basic.ts   (from packages/codec)
import { RecordScanner, decodeRecord, encodeRecord, encodeRecordInto, encodedLength } from '@nori/codec';

// Encode a few records (strings are UTF-8; ttl is u64 milliseconds, number or bigint).
const records = [
  { key: 'user:1', value: '{"name":"ada"}' },
  { key: 'session:9', value: 'token', ttlMs: 86_400_000 },
  { key: 'blob', value: 'x'.repeat(4096), compression: 'lz4' as const },
  { key: 'user:1', tombstone: true },
];
const log = new Uint8Array(records.reduce((n, r) => n + encodedLength(r), 0));
let offset = 0;
for (const r of records) offset += encodeRecordInto(r, log, offset);
console.log(`encoded ${records.length} records into ${log.length} bytes`);

// Decode one record: never throws for bad bytes, the outcome says what happened.
const first = decodeRecord(log, 0);
if (first.kind === 'ok') console.log('first:', new TextDecoder().decode(first.record.key), `(${first.size} bytes)`);
console.log('torn:', decodeRecord(log.subarray(0, 10)).kind); // 'incomplete'

// Scan a buffer without allocating per record; stop at a torn tail or corruption.
const damaged = log.slice(0, log.length - 3); // lose the end of the last record
const scanner = new RecordScanner();
scanner.reset(damaged);
while (scanner.next() === 'ok') {
  const key = new TextDecoder().decode(scanner.key()); // a view, no copy
  console.log(` ${key} tombstone=${scanner.tombstone} ttl=${scanner.ttlMs ?? '-'} value=${scanner.value().length} B (${scanner.compression})`);
}
console.log(`stopped: ${scanner.status}, valid bytes end at ${scanner.cursor}, record needs ${scanner.needed} bytes`);

// Errors are typed: switch on `code`.
try {
  encodeRecord({ key: 'k', value: new Uint8Array(2048) }, { maxRecordSize: 1024 });
} catch (error) {
  console.log('encode failed:', (error as { code: string }).code);
}
