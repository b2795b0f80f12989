import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgressReporter } from '../src/cli/progress.js';

function fakeStderr(isTTY: boolean): { stream: NodeJS.WriteStream; output: () => string } {
  const chunks: string[] = [];
  const stream = new PassThrough() as unknown as NodeJS.WriteStream & PassThrough;
  Object.assign(stream, { isTTY, columns: 100, rows: 30 });
  stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  return { stream, output: () => chunks.join('') };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('progress reporter', () => {
  it('draws a bar for a long replay on a terminal and clears it when done', async () => {
    const { stream, output } = fakeStderr(true);
    const progress = createProgressReporter(stream);
    const total = 64 * 1024 * 1024;
    for (let done = 0; done < total; done += 8 * 1024 * 1024) progress.onProgress({ phase: 'replay', done, total });
    await flush();
    expect(output()).toContain('replaying log');
    expect(output()).toContain('MiB');
    progress.onProgress({ phase: 'replay', done: total, total });
    progress.onProgress({ phase: 'snapshot-write', done: 0, total: 100_000 });
    progress.stop();
    await flush();
    expect(output()).toContain('writing snapshot');
  });

  it('stays silent when stderr is not a terminal or the work is small', async () => {
    const pipe = fakeStderr(false);
    const piped = createProgressReporter(pipe.stream);
    piped.onProgress({ phase: 'replay', done: 0, total: 1 << 30 });
    piped.stop();
    const small = fakeStderr(true);
    const quick = createProgressReporter(small.stream);
    quick.onProgress({ phase: 'snapshot-load', done: 0, total: 10 });
    quick.onProgress({ phase: 'snapshot-load', done: 10, total: 10 });
    quick.stop();
    await flush();
    expect(pipe.output()).toBe('');
    expect(small.output()).toBe('');
  });
});
