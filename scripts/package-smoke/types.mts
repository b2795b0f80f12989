// Type-checks the published declarations as a TypeScript user compiles against them.
import { Wal, type Position, type WalConfig } from '@nori/wal';
import { NodeFileStorage } from '@nori/storage';
import type { WalRecord } from '@nori/codec';

const config: WalConfig = { storage: new NodeFileStorage('./data'), fsync: 'always' };
export async function run(record: WalRecord): Promise<Position> {
  const { wal } = await Wal.open(config);
  try {
    const { position } = await wal.append(record);
    return position;
  } finally {
    await wal.close();
  }
}
