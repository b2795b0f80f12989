import { describe, expect, it } from 'vitest';
import { KvError } from '../src/index.js';
import { parseLimit, parseTtl } from '../src/cli/arguments.js';
import { EXIT_USAGE, runCli } from '../src/cli/program.js';

function failure(parse: () => unknown): KvError {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(KvError);
    return error as KvError;
  }
  throw new Error('expected the parse to fail');
}

describe('CLI number arguments say what is wrong', () => {
  it('--ttl: a negative or zero number must be positive, not "a whole number"', () => {
    for (const raw of ['-5', '0', '-0']) {
      const error = failure(() => parseTtl(raw));
      expect(error.code).toBe('ERR_INVALID_TTL');
      expect(error.message).toBe(`--ttl must be positive (at least 1 ms) (got "${raw}")`);
    }
  });

  it('--ttl: text and fractions must be a whole number', () => {
    for (const raw of ['soon', '1.5', '1e3', '', '5ms']) {
      const error = failure(() => parseTtl(raw));
      expect(error.code).toBe('ERR_INVALID_TTL');
      expect(error.message).toContain('must be a whole number of milliseconds');
    }
    expect(parseTtl(' 250 ')).toBe(250);
    expect(parseTtl('+250')).toBe(250);
  });

  it('--limit: a negative number must be positive', () => {
    const error = failure(() => parseLimit('-3'));
    expect(error.code).toBe('ERR_INVALID_ARGUMENT');
    expect(error.message).toBe('--limit must be positive (at least 1) (got "-3")');
    expect(parseLimit('3')).toBe(3);
  });
});

describe('nori-kv exits 2 on every usage error', () => {
  async function exitOf(args: string[]): Promise<{ code: number; err: string[] }> {
    const err: string[] = [];
    const code = await runCli(['node', 'nori-kv', '--dir', '/nonexistent/nori-kv-usage-test', ...args], {
      out: () => undefined,
      err: (text) => err.push(text),
      scriptPath: '',
    });
    return { code, err };
  }

  it.each([
    ['unknown command', ['gett', 'k']],
    ['unknown option', ['put', 'k', 'v', '--bogus']],
    ['missing argument', ['get']],
    ['bad --ttl', ['put', 'k', 'v', '--ttl', 'soon']],
    ['zero --ttl', ['put', 'k', 'v', '--ttl', '0']],
    ['negative --limit', ['scan', '--limit', '-3']],
    ['bad demo --records', ['demo', '--records', 'many']],
    ['bad demo --seed', ['demo', '--seed', '-1']],
  ])('%s', async (_name, args) => {
    const { code, err } = await exitOf(args);
    expect(code, err.join('\n')).toBe(EXIT_USAGE);
    expect(err.join('\n')).toMatch(/^nori-kv: /);
  });

  it('a bad number keeps its stable code in the one-line message', async () => {
    const { err } = await exitOf(['put', 'k', 'v', '--ttl', 'soon']);
    expect(err).toEqual(['nori-kv: --ttl must be a whole number of milliseconds (got "soon") [ERR_INVALID_TTL]']);
  });
});
