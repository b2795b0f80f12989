/**
 * Child process of the real-fault tests. Reads one plan (JSON) per stdin line; for each it opens
 * a WAL with the plan's policy, appends records one after another and prints one JSON line per
 * event (`ack` with the position of every acknowledged record, the first `error`, the WAL's
 * positions after it, `close`), then `done`. Exits when stdin ends.
 */
import fs from 'node:fs';
import readline from 'node:readline';
import { Wal, type FsyncPolicy } from '../../src/index.js';
import type { ChildEvent, ChildPlan } from './support.js';

function emit(event: ChildEvent): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : 'none';
}

function causeOf(error: unknown): { causeCode?: string; causeSyscall?: string } {
  const cause = (error as { cause?: { code?: unknown; syscall?: unknown } }).cause;
  if (cause === undefined) return {};
  const out: { causeCode?: string; causeSyscall?: string } = {};
  if (typeof cause.code === 'string') out.causeCode = cause.code;
  if (typeof cause.syscall === 'string') out.causeSyscall = cause.syscall;
  return out;
}

function policyOf(plan: ChildPlan): FsyncPolicy | 'always' | 'os' {
  return plan.policy === 'batch' ? { kind: 'batch', windowMs: plan.windowMs ?? 5 } : plan.policy;
}

async function runPlan(plan: ChildPlan): Promise<void> {
  let opened;
  try {
    opened = await Wal.open({ dir: plan.dir, fsync: policyOf(plan), maxSegmentSize: plan.maxSegmentSize });
  } catch (error) {
    emit({ t: 'open-failed', code: codeOf(error), ...causeOf(error), message: String((error as Error).message) });
    return;
  }
  const { wal } = opened;
  emit({ t: 'ready' });
  const value = new Uint8Array(plan.valueSize).fill(0x61);
  for (let i = 0; i < plan.maxRecords; i++) {
    if (i === plan.armAt && plan.arm !== undefined) fs.writeFileSync(plan.arm, '');
    try {
      const position = (await wal.append({ key: `k${String(i).padStart(6, '0')}`, value })).position;
      emit({ t: 'ack', i, position });
    } catch (error) {
      emit({ t: 'error', i, code: codeOf(error), ...causeOf(error), message: String((error as Error).message) });
      // A failed WAL must stay failed: the next append is refused, never retried on the disk.
      const again = await wal.append({ key: 'after-failure', value }).then(
        () => 'none',
        (e: unknown) => codeOf(e),
      );
      emit({ t: 'after', code: again });
      break;
    }
  }
  emit({ t: 'state', state: wal.state, durable: wal.durablePosition, written: wal.writtenPosition });
  try {
    await wal.close();
    emit({ t: 'close', ok: true, durable: wal.durablePosition });
  } catch (error) {
    emit({ t: 'close', ok: false, code: codeOf(error), durable: wal.durablePosition });
  }
}

for await (const line of readline.createInterface({ input: process.stdin })) {
  if (line.trim() === '') continue;
  await runPlan(JSON.parse(line) as ChildPlan);
  emit({ t: 'done' });
}
