/**
 * Runnable example: `node --conditions=@nori/source --import tsx examples/event-sourcing.ts [dir]`.
 * Event sourcing on the WAL: every state change of a bank account is an event record; the current
 * state is a fold over the events, rebuilt after a restart by replaying the log. Commands that
 * produce several events append them as one crash-atomic batch.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Wal, type Position } from '@nori/wal';

/** The events of one account (the record key is the account id). */
export type AccountEvent = { type: 'opened'; owner: string } | { type: 'deposited'; amount: number } | { type: 'withdrawn'; amount: number };

/** The state every account folds to. */
export interface Account {
  owner: string;
  balance: number;
  version: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Applies one event to an account (the fold). */
export function apply(account: Account | undefined, event: AccountEvent): Account {
  if (event.type === 'opened') return { owner: event.owner, balance: 0, version: 1 };
  if (account === undefined) throw new Error(`event ${event.type} before the account was opened`);
  const delta = event.type === 'deposited' ? event.amount : -event.amount;
  return { ...account, balance: account.balance + delta, version: account.version + 1 };
}

/** Replays the log (from `from`, or the start) into a map of accounts. */
export async function replay(wal: Wal, from?: Position): Promise<Map<string, Account>> {
  const accounts = new Map<string, Account>();
  for await (const entry of wal.read(from === undefined ? {} : { from })) {
    const id = decoder.decode(entry.key);
    accounts.set(id, apply(accounts.get(id), JSON.parse(decoder.decode(entry.value)) as AccountEvent));
  }
  return accounts;
}

/** Appends the events of one command for one account: all of them survive a crash, or none. */
export async function record(wal: Wal, id: string, events: AccountEvent[]): Promise<Position[]> {
  const results = await wal.appendBatch(events.map((event) => ({ key: id, value: encoder.encode(JSON.stringify(event)) })));
  return results.map((r) => r.position);
}

/** Runs the example in `dir`; returns the accounts rebuilt after a restart. */
export async function eventSourcing(dir: string): Promise<Map<string, Account>> {
  {
    await using wal = (await Wal.open({ dir, fsync: 'always' })).wal;
    await record(wal, 'acct:ada', [
      { type: 'opened', owner: 'Ada' },
      { type: 'deposited', amount: 100 },
    ]);
    await record(wal, 'acct:grace', [{ type: 'opened', owner: 'Grace' }]);
    // A transfer is one command: both accounts' events land together or not at all.
    await wal.appendBatch([
      { key: 'acct:ada', value: encoder.encode(JSON.stringify({ type: 'withdrawn', amount: 30 })) },
      { key: 'acct:grace', value: encoder.encode(JSON.stringify({ type: 'deposited', amount: 30 })) },
    ]);
  } // the process could stop here: the state lives only in the log

  await using wal = (await Wal.open({ dir, readOnly: true })).wal;
  const accounts = await replay(wal);
  for (const [id, account] of accounts) console.log(id, account);
  return accounts;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const dir = process.argv[2] ?? (await mkdtemp(path.join(tmpdir(), 'nori-events-')));
  await eventSourcing(dir);
}
