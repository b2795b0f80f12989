/**
 * @nori/codec benchmarks: encode / decode / scan throughput at 100 B, 1 KiB and 10 KiB records,
 * lz4 / zstd values, and CRC32C beside a memcpy baseline, all measured in the same run.
 *
 *   pnpm --filter @nori/codec bench        (node --conditions=@nori/source --import tsx bench/codec.bench.ts)
 *
 * Every figure is the median of RUNS runs; each run interleaves the workload and its baseline so
 * that noise on this shared machine hits both. Results: <repo>/.bench-results/codec.json
 * (format: docs/ARCHITECTURE.md, "Benchmarks").
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import {
  RecordScanner,
  codecBackends,
  crc32c,
  decodeRecord,
  encodeRecord,
  encodeRecordInto,
  encodedLength,
  type Compression,
  type RecordInput,
} from '../src/index.js';
import { NATIVE_CRC_THRESHOLD } from '../src/crc32c.js';
import { crc32cJs } from '../src/crc32c-js.js';
import { setNativeEnabled } from '../src/native.js';
import { median, type BenchResult as Result } from '@nori/test-support/bench';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 5);
/** Minimum duration of one measurement (ms). */
const MIN_MS = Number(process.env['BENCH_MIN_MS'] ?? 60);
const MB = 1e6;

const require = createRequire(import.meta.url);
const nativeCrc = (require('@node-rs/crc32') as { crc32c: (b: Uint8Array, i?: number) => number }).crc32c;
const crc32Package = (require('crc-32/crc32c.js') as { buf: (b: Uint8Array, s?: number) => number }).buf;

const results: Result[] = [];
let sink = 0;

/** Runs `fn` (which processes `bytes` bytes) repeatedly for >= MIN_MS; returns MB/s. */
function rate(fn: () => void, bytes: number): number {
  fn(); // warm
  let calls = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    fn();
    calls++;
    elapsed = performance.now() - start;
  } while (elapsed < MIN_MS);
  return (calls * bytes) / MB / (elapsed / 1000);
}

/** Measures `fn` beside `baseline` (same bytes), RUNS times interleaved; records medians. */
function measure(
  name: string,
  bytes: number,
  fn: () => void,
  baseline: { name: string; fn: () => void; bytes?: number },
  extra: { unit?: 'MB/s' | 'GB/s'; goal?: string; note?: string } = {},
): Result {
  const unit = extra.unit ?? 'MB/s';
  const scale = unit === 'GB/s' ? 1e-3 : 1;
  const ours: number[] = [];
  const base: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    ours.push(rate(fn, bytes) * scale);
    base.push(rate(baseline.fn, baseline.bytes ?? bytes) * scale);
  }
  const value = median(ours);
  const baseValue = median(base);
  const result: Result = {
    name,
    unit,
    value,
    runs: ours,
    baseline: { name: baseline.name, value: baseValue, runs: base },
    ratio: value / baseValue,
    ...(extra.goal !== undefined ? { goal: extra.goal } : {}),
    ...(extra.note !== undefined ? { note: extra.note } : {}),
  };
  results.push(result);
  console.log(`  ${name.padEnd(52)} ${fmt(value).padStart(8)} ${unit}   ${baseline.name}: ${fmt(baseValue)} ${unit}  (x${result.ratio.toFixed(2)})`);
  return result;
}

function fmt(n: number): string {
  return n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2);
}

/** Deterministic, mildly compressible bytes (like JSON-ish payloads: lz4 gets ~2x). */
function payload(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed | 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = (x & 3) === 0 ? x >>> 24 : 97 + ((i + (x & 7)) % 26);
  }
  return out;
}

const utf8 = new TextEncoder();
/** JSON-like documents (repeated field names, varying values): what users typically compress. */
function jsonPayload(length: number, seed: number): Uint8Array {
  let text = '[';
  for (let i = 0; text.length < length; i++) {
    const id = seed * 7919 + i * 104729;
    text += `{"id":${id},"user":"user-${id % 9973}","email":"u${id % 9973}@example.com","active":${id % 3 === 0},"score":${(id % 1000) / 10},"tags":["t${id % 17}","t${id % 23}"]},`;
  }
  return utf8.encode(text).subarray(0, length);
}

const SIZES = [
  ['100 B', 100],
  ['1 KiB', 1024],
  ['10 KiB', 10 * 1024],
] as const;

/** ~4 MiB of records (uncompressed values: mildly compressible bytes; compressed: JSON) of one value size, as one contiguous log. */
function buildLog(valueSize: number, compression: Compression = 'none', make = payload) {
  const count = Math.max(64, Math.floor((4 * 1024 * 1024) / valueSize));
  const inputs: RecordInput[] = [];
  for (let i = 0; i < count; i++) {
    inputs.push({ key: `key:${String(i).padStart(10, '0')}`, value: make(valueSize, i + 1), compression });
  }
  const total = inputs.reduce((n, input) => n + encodedLength(input), 0);
  const log = new Uint8Array(total);
  const offsets: number[] = [];
  let at = 0;
  for (const input of inputs) {
    offsets.push(at);
    at += encodeRecordInto(input, log, at);
  }
  const logicalBytes = inputs.reduce((n, input) => n + (input.value as Uint8Array).length + 14, 0);
  return { inputs, log, offsets, logicalBytes };
}

/** memcpy baseline over the same bytes. */
function memcpyOf(bytes: Uint8Array): () => void {
  const target = new Uint8Array(bytes.length);
  return () => {
    target.set(bytes);
    sink ^= target[target.length - 1]!;
  };
}

/** crc32c over the same record bytes (the floor of any verified codec operation). */
function crcOfRecords(log: Uint8Array, offsets: number[]): () => void {
  return () => {
    for (let i = 0; i < offsets.length; i++) {
      const end = i + 1 < offsets.length ? offsets[i + 1]! : log.length;
      sink ^= crc32c(log.subarray(offsets[i], end - 4));
    }
  };
}

console.log(`@nori/codec bench: node ${process.version}, ${RUNS} runs x >= ${MIN_MS} ms per figure`);
console.log(`backends: ${JSON.stringify(codecBackends())}`);

// ---------------------------------------------------------------- record encode / decode / scan
for (const [label, size] of SIZES) {
  console.log(`\nrecords with ${label} values (uncompressed)`);
  const { inputs, log, offsets } = buildLog(size);
  const crcBaseline = { name: 'crc32c same bytes', fn: crcOfRecords(log, offsets) };
  measure(
    `encodeRecord ${label}`,
    log.length,
    () => {
      for (const input of inputs) sink ^= encodeRecord(input).length;
    },
    crcBaseline,
  );
  const target = new Uint8Array(log.length);
  measure(
    `encodeRecordInto ${label}`,
    log.length,
    () => {
      let at = 0;
      for (const input of inputs) at += encodeRecordInto(input, target, at);
      sink ^= at;
    },
    crcBaseline,
  );
  measure(
    `decodeRecord ${label} (copies)`,
    log.length,
    () => {
      for (const offset of offsets) {
        const r = decodeRecord(log, offset);
        if (r.kind === 'ok') sink ^= r.size;
      }
    },
    crcBaseline,
  );
  measure(
    `decodeRecord ${label} (copy: false)`,
    log.length,
    () => {
      for (const offset of offsets) {
        const r = decodeRecord(log, offset, { copy: false });
        if (r.kind === 'ok') sink ^= r.size;
      }
    },
    crcBaseline,
  );
  const scanner = new RecordScanner();
  measure(
    `RecordScanner ${label} (next + key/value views)`,
    log.length,
    () => {
      scanner.reset(log);
      while (scanner.next() === 'ok') sink ^= scanner.key().length + scanner.value().length;
      if (scanner.status !== 'end') throw new Error(`scan stopped: ${scanner.status}`);
    },
    crcBaseline,
    size === 1024 ? { goal: '>= 1000 MB/s' } : {},
  );
  measure(
    `RecordScanner ${label} vs memcpy`,
    log.length,
    () => {
      scanner.reset(log);
      while (scanner.next() === 'ok') sink ^= scanner.key().length + scanner.value().length;
    },
    { name: 'memcpy same bytes', fn: memcpyOf(log) },
  );
}

// ---------------------------------------------------------------- compressed values
for (const compression of ['lz4', 'zstd'] as const) {
  if (compression === 'zstd' && codecBackends().zstd.compress === undefined) {
    console.log('\nzstd: skipped (no zstd encoder: needs Node >= 22.15 or zstd-napi)');
    continue;
  }
  for (const [label, size] of SIZES.slice(1)) {
    console.log(`\n${compression} values, ${label}`);
    const { inputs, log, offsets, logicalBytes } = buildLog(size, compression, jsonPayload);
    const logical = buildLog(size, 'none', jsonPayload);
    const crcBaseline = { name: 'crc32c same logical bytes', fn: crcOfRecords(logical.log, logical.offsets), bytes: logicalBytes };
    measure(
      `encodeRecord ${compression} ${label} (logical MB/s)`,
      logicalBytes,
      () => {
        for (const input of inputs) sink ^= encodeRecord(input).length;
      },
      crcBaseline,
      { note: `stored/logical = ${(log.length / logical.log.length).toFixed(2)}` },
    );
    measure(
      `decodeRecord ${compression} ${label} (logical MB/s)`,
      logicalBytes,
      () => {
        for (const offset of offsets) {
          const r = decodeRecord(log, offset, { copy: false });
          if (r.kind === 'ok') sink ^= r.record.value.length;
        }
      },
      crcBaseline,
    );
    if (compression === 'lz4') {
      setNativeEnabled(false);
      measure(
        `encodeRecord lz4 ${label} via lz4js (pure JS)`,
        logicalBytes,
        () => {
          for (const input of inputs) sink ^= encodeRecord(input).length;
        },
        crcBaseline,
      );
      measure(
        `decodeRecord lz4 ${label} via lz4js (pure JS)`,
        logicalBytes,
        () => {
          for (const offset of offsets) {
            const r = decodeRecord(log, offset, { copy: false });
            if (r.kind === 'ok') sink ^= r.record.value.length;
          }
        },
        crcBaseline,
      );
      setNativeEnabled(true);
    }
  }
}

// ---------------------------------------------------------------- CRC32C
console.log('\nCRC32C (codec crc32c, native above the threshold) vs memcpy of the same bytes');
const big = payload(16 * 1024 * 1024, 7);
for (const [label, size] of [
  ['100 B', 100],
  ['1 KiB', 1024],
  ['64 KiB', 64 * 1024],
  ['16 MiB', 16 * 1024 * 1024],
] as const) {
  const count = Math.max(1, Math.floor((4 * 1024 * 1024) / size));
  const chunks = Array.from({ length: count }, (_, i) => big.subarray((i * size) % (big.length - size + 1), ((i * size) % (big.length - size + 1)) + size));
  const target = new Uint8Array(size);
  measure(
    `crc32c ${label}`,
    count * size,
    () => {
      for (const chunk of chunks) sink ^= crc32c(chunk);
    },
    {
      name: 'memcpy (Uint8Array.set)',
      fn: () => {
        for (const chunk of chunks) target.set(chunk);
        sink ^= target[0]!;
      },
    },
    { unit: 'GB/s' },
  );
}

// Where the native call starts to beat the pure-JS tables (sets NATIVE_CRC_THRESHOLD).
console.log("\nCRC32C crossover: @node-rs/crc32 vs the codec's pure-JS CRC");
const crossover: Array<{ size: number; native: number; js: number }> = [];
for (const size of [64, 128, 160, 192, 224, 256, 384, 512]) {
  const count = Math.floor((1024 * 1024) / size);
  const chunks = Array.from({ length: count }, (_, i) => big.subarray(i * size, i * size + size));
  const r = measure(
    `crc32c ${size} B: @node-rs/crc32 vs pure JS`,
    count * size,
    () => {
      for (const chunk of chunks) sink ^= nativeCrc(chunk);
    },
    {
      name: 'crc32cJs (pure JS, slicing by 16)',
      fn: () => {
        for (const chunk of chunks) sink ^= crc32cJs(chunk, 0);
      },
    },
  );
  crossover.push({ size, native: r.value, js: r.baseline.value });
}
const firstNativeWin = crossover.find((c) => c.native > c.js)?.size;
console.log(`native wins from ~${firstNativeWin ?? '>512'} B; NATIVE_CRC_THRESHOLD = ${NATIVE_CRC_THRESHOLD} B`);

// Issue 17: what a per-record N-API call costs. Scanning verifies each record with its own call
// (a view + the call); one call over the whole buffer is the floor a native batch validator
// (many records per call) would approach. Their ratio is the cap the per-record call sets.
console.log('\nCRC32C per record (one native call each) vs one call over the same buffer');
for (const [label, size] of [
  ['100 B', 100],
  ['1 KiB', 1024],
  ['10 KiB', 10 * 1024],
] as const) {
  const { log, offsets } = buildLog(size);
  measure(
    `crc32c per ${label} record vs one call per 1 MiB chunk`,
    log.length,
    crcOfRecords(log, offsets),
    {
      name: 'crc32c over each 1 MiB of the same bytes (one call)',
      fn: () => {
        for (let at = 0; at < log.length; at += 1024 * 1024) sink ^= crc32c(log.subarray(at, Math.min(log.length, at + 1024 * 1024)));
      },
    },
    { unit: 'GB/s' },
  );
}

// The in-house table CRC against the crc-32 package it replaced (same algorithm, CommonJS).
for (const size of [64, 1024]) {
  const count = Math.floor((1024 * 1024) / size);
  const chunks = Array.from({ length: count }, (_, i) => big.subarray(i * size, i * size + size));
  measure(
    `crc32cJs ${size} B vs crc-32`,
    count * size,
    () => {
      for (const chunk of chunks) sink ^= crc32cJs(chunk, 0);
    },
    {
      name: 'crc-32 (the package it replaced)',
      fn: () => {
        for (const chunk of chunks) sink ^= crc32Package(chunk);
      },
    },
  );
}

// ---------------------------------------------------------------- write results
const root = fileURLToPath(new URL('../../../', import.meta.url));
const outDir = `${root}.bench-results`;
mkdirSync(outDir, { recursive: true });
const file = `${outDir}/codec.json`;
writeFileSync(
  file,
  `${JSON.stringify(
    {
      package: '@nori/codec',
      environment: {
        node: process.version,
        backends: codecBackends(),
        runs: RUNS,
        minMsPerMeasurement: MIN_MS,
        nativeCrcThreshold: NATIVE_CRC_THRESHOLD,
        crcCrossoverBytes: firstNativeWin ?? null,
      },
      results,
    },
    null,
    2,
  )}\n`,
);

console.log(`\n${'workload'.padEnd(56)} ${'ours'.padStart(10)} ${'baseline'.padStart(10)}  ratio  goal`);
for (const r of results) {
  console.log(`${r.name.padEnd(56)} ${fmt(r.value).padStart(10)} ${fmt(r.baseline.value).padStart(10)}  ${r.ratio.toFixed(2).padStart(5)}  ${r.goal ?? ''}`);
}
console.log(`\nwrote ${file}${sink === 0.5 ? '' : ''}`);
