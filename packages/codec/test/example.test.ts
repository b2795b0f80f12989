import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

it('the README example (examples/basic.ts) runs and prints what the README shows', () => {
  const out = execFileSync(process.execPath, ['--conditions=@nori/source', '--import', 'tsx', 'examples/basic.ts'], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(out).toBe(
    [
      'encoded 4 records into 105 bytes',
      'first: user:1 (27 bytes)',
      'torn: incomplete',
      ' user:1 tombstone=false ttl=- value=14 B (none)',
      ' session:9 tombstone=false ttl=86400000 value=5 B (none)',
      ' blob tombstone=false ttl=- value=4096 B (lz4)',
      'stopped: incomplete, valid bytes end at 92, record needs 13 bytes',
      'encode failed: ERR_RECORD_TOO_LARGE',
      '',
    ].join('\n'),
  );
});
