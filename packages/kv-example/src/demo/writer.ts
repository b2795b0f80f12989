import { inspect } from 'node:util';
import { S3ObjectStore } from '@nori/archive';
import { KvError } from '../errors.js';
import { KvStore } from '../kv-store.js';
import type { KvBatchOperation } from '../types.js';
import type { WriterArguments, WriterMessage } from './protocol.js';
import { DEMO_REPORT_INTERVAL_MS, DEMO_STORE_OPTIONS, demoPipelineDepth } from './settings.js';
import { demoS3Config } from './s3-env.js';
import { demoWorkload, recordsOf, type DemoOperation } from './workload.js';

/** Shipping interval of the archive demo's primary (remote-durable writes do not wait for it). */
const DEMO_ARCHIVE_INTERVAL_MS = 50;

/** The writer's store: local, or remote-durable on the archive prefix of `demo --archive`. */
function openWriterStore(args: WriterArguments, onFsync: () => void): Promise<KvStore> {
  const options = { dir: args.dir, ...DEMO_STORE_OPTIONS, observer: { onFsync } };
  if (args.archivePrefix === undefined) return KvStore.open(options);
  const store = new S3ObjectStore(demoS3Config());
  return KvStore.open({ ...options, archive: { store, prefix: args.archivePrefix, intervalMs: DEMO_ARCHIVE_INTERVAL_MS } });
}

function send(message: WriterMessage): void {
  process.send?.(message);
}

function apply(store: KvStore, operation: DemoOperation): Promise<unknown> {
  switch (operation.kind) {
    case 'put':
      return store.put(operation.key, operation.value, operation.expiresAt === undefined ? {} : { expiresAt: operation.expiresAt });
    case 'del':
      return store.delete(operation.key);
    case 'batch':
      return store.batch(
        operation.writes.map((write): KvBatchOperation =>
          write.kind === 'put' ? { type: 'put', key: write.key, value: write.value } : { type: 'del', key: write.key },
        ),
      );
  }
}

/**
 * The demo's writer process: writes the workload with a deep pipeline and reports, over IPC,
 * how many operations are acknowledged (a prefix: all operations before the watermark). The
 * parent SIGKILLs it mid-way; it never closes the store cleanly unless the workload ends first,
 * and even then it waits to be killed. Any failure is reported to the parent as `failed`.
 */
export async function runDemoWriter(args: WriterArguments): Promise<void> {
  if (process.send === undefined) {
    throw new KvError('ERR_INVALID_ARGUMENT', 'demo-writer is internal: it is started by `nori-kv demo` (it needs an IPC channel)');
  }
  // Orphaned (the parent died without killing us): stop like a crash, no clean close.
  process.on('disconnect', () => process.exit(1));
  try {
    await writeWorkload(args);
  } catch (error) {
    send({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
  }
}

async function writeWorkload(args: WriterArguments): Promise<void> {
  const { operations } = demoWorkload({ records: args.records, seed: args.seed, startedAt: args.startedAt });
  let fsyncs = 0;
  const store = await openWriterStore(args, () => void fsyncs++);

  const started = performance.now();
  const done = new Uint8Array(operations.length);
  let acked = 0;
  let ackedRecords = 0;
  let issued = 0;
  let reported = -1;
  let failure: unknown;
  const report = (): void => {
    if (acked === reported) return;
    reported = acked;
    send({ type: 'acked', acked, records: ackedRecords, issued, fsyncs, elapsedMs: performance.now() - started });
  };
  const timer = setInterval(report, DEMO_REPORT_INTERVAL_MS);

  let compaction: Promise<void> | undefined;
  const wake: (() => void)[] = [];
  const settle = (index: number): void => {
    done[index] = 1;
    while (acked < operations.length && done[acked] === 1) {
      ackedRecords += recordsOf(operations[acked] as DemoOperation);
      acked++;
    }
    if (compaction === undefined && acked >= args.compactAt) {
      const atOperation = acked;
      send({ type: 'compacting', atOperation });
      compaction = store.compact().then((result) =>
        send({
          type: 'compacted',
          atOperation,
          entries: result.snapshot.entries,
          snapshotBytes: result.snapshot.bytes,
          segmentsDeleted: result.segmentsDeleted.length,
          durationMs: result.durationMs,
        }),
      );
      compaction.catch((error: unknown) => (failure ??= error));
    }
    wake.shift()?.();
  };

  const depth = demoPipelineDepth(operations.length);
  for (let index = 0; index < operations.length && failure === undefined; index++) {
    while (issued - acked >= depth) await new Promise<void>((resolve) => wake.push(resolve));
    issued++;
    apply(store, operations[index] as DemoOperation).then(
      () => settle(index),
      (error: unknown) => {
        failure ??= error;
        wake.shift()?.();
      },
    );
  }
  while (acked < issued && failure === undefined) await new Promise<void>((resolve) => wake.push(resolve));
  await compaction?.catch(() => undefined);
  clearInterval(timer);
  if (failure !== undefined) {
    send({ type: 'failed', message: failure instanceof Error ? failure.message : inspect(failure) });
    return;
  }
  report();
  send({ type: 'finished', elapsedMs: performance.now() - started });
  // Stay alive with the store open: the parent's SIGKILL is the end of this process.
  setInterval(() => undefined, 60_000);
}
