import { formatPosition as walFormatPosition, parsePosition as walParsePosition, WalError } from '@nori/wal';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import {
  encodeBinary,
  formatBytesSafe,
  formatCount,
  formatDuration,
  formatPosition,
  formatRecordLine,
  formatSize,
  formatTable,
  NoriCliError,
  parseByteSize,
  parseCount,
  parsePosition,
  printableUtf8,
  recordToJsonLine,
  shouldShowProgress,
  type DumpedRecord,
} from '../src/index.js';

const text = (value: string): Uint8Array => new TextEncoder().encode(value);

describe('printableUtf8', () => {
  it('accepts printable text, including non-ASCII and emoji', () => {
    expect(printableUtf8(text('user:0001'))).toBe('user:0001');
    expect(printableUtf8(text('ключ-🔑 値'))).toBe('ключ-🔑 値');
    expect(printableUtf8(new Uint8Array())).toBe('');
  });

  it.each([
    ['invalid UTF-8', Uint8Array.of(0xff, 0xfe)],
    ['a truncated multi-byte sequence', text('é').subarray(0, 1)],
    ['NUL', Uint8Array.of(0x61, 0x00)],
    ['newline', text('a\nb')],
    ['tab', text('a\tb')],
    ['escape (terminal control)', text('\u001b[31mred')],
    ['DEL', Uint8Array.of(0x7f)],
    ['C1 control', text('\u0085')],
    ['bidi override (Trojan Source)', text('abc\u202edcba')],
    ['zero-width joiner', text('a\u200db')],
    ['line separator', text('a\u2028b')],
  ])('rejects %s', (_, bytes) => {
    expect(printableUtf8(bytes)).toBeUndefined();
  });
});

describe('formatBytesSafe', () => {
  it('quotes printable text and escapes quotes and backslashes', () => {
    expect(formatBytesSafe(text('say "hi" \\o/'), 0)).toBe('"say \\"hi\\" \\\\o/"');
  });

  it('shows anything else as 0x-hex', () => {
    expect(formatBytesSafe(Uint8Array.of(0, 1, 0xab), 0)).toBe('0x0001ab');
    expect(formatBytesSafe(text('a\nb'), 0)).toBe('0x610a62');
  });

  it('cuts text at `width` code points (never inside a surrogate pair) and marks the cut', () => {
    expect(formatBytesSafe(text('abcdef'), 3)).toBe('"abc…"');
    expect(formatBytesSafe(text('🔑🔑🔑'), 2)).toBe('"🔑🔑…"');
    expect(formatBytesSafe(text('abc'), 3)).toBe('"abc"');
  });

  it('cuts hex at `width` digits (whole bytes)', () => {
    expect(formatBytesSafe(Uint8Array.of(1, 2, 3, 4, 5), 4)).toBe('0x0102…');
    expect(formatBytesSafe(Uint8Array.of(1, 2, 3, 4, 5), 5)).toBe('0x0102…');
    expect(formatBytesSafe(Uint8Array.of(1, 2), 4)).toBe('0x0102');
    expect(formatBytesSafe(Uint8Array.of(1, 2), 1)).toBe('0x01…');
  });

  it('width 0 shows everything', () => {
    expect(formatBytesSafe(new Uint8Array(100).fill(0xff), 0)).toBe(`0x${'ff'.repeat(100)}`);
  });
});

describe('encodeBinary / toHex', () => {
  it('encodes views (respecting byteOffset) as hex and base64', () => {
    const backing = Uint8Array.of(9, 9, 0xde, 0xad, 0xbe, 0xef, 9);
    const view = backing.subarray(2, 6);
    expect(encodeBinary(view, 'hex')).toBe('deadbeef');
    expect(encodeBinary(view, 'base64')).toBe('3q2+7w==');
  });
});

describe('positions', () => {
  it('formats and parses SEGMENT:OFFSET', () => {
    expect(formatPosition({ segmentId: 3, offset: 4096 })).toBe('3:4096');
    expect(parsePosition('3:4096')).toEqual({ segmentId: 3, offset: 4096 });
    expect(parsePosition(' 12 ')).toEqual({ segmentId: 12, offset: 0 });
  });

  it.each(['', 'abc', '3:', ':5', '-1:0', '1:-2', '1.5:0', '1:2:3', '99999999999999999999:0'])('rejects %j', (input) => {
    expect(() => parsePosition(input)).toThrow(WalError);
    try {
      parsePosition(input);
    } catch (error) {
      expect((error as WalError).code).toBe('ERR_INVALID_POSITION');
    }
  });

  it("are @nori/wal's functions (one SEGMENT:OFFSET form), re-exported", () => {
    expect(formatPosition).toBe(walFormatPosition);
    expect(parsePosition).toBe(walParsePosition);
  });

  it('parseCount accepts non-negative integers only, with a usage error', () => {
    expect(parseCount('0', '--limit')).toBe(0);
    expect(parseCount('42', '--limit')).toBe(42);
    for (const bad of ['-1', '1.5', 'x', '']) {
      expect(() => parseCount(bad, '--limit')).toThrow(/invalid --limit/);
    }
    try {
      parseCount('x', '--limit');
    } catch (error) {
      expect((error as NoriCliError).exitCode).toBe(2);
    }
  });
});

describe('numbers', () => {
  it('formatSize', () => {
    expect(formatSize(0)).toBe('0 B');
    expect(formatSize(1023)).toBe('1023 B');
    expect(formatSize(1536)).toBe('1.5 KiB');
    expect(formatSize(605938)).toBe('591.7 KiB');
    expect(formatSize(3 * 1024 ** 3)).toBe('3.0 GiB');
  });

  it('formatCount and formatDuration', () => {
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatDuration(0.25)).toBe('0.3 ms');
    expect(formatDuration(12.4)).toBe('12 ms');
    expect(formatDuration(3200)).toBe('3.2 s');
  });

  it('formatCount groups every safe integer as en-US toLocaleString does (without loading ICU)', () => {
    for (const n of [0, 7, 999, 1000, 999_999, 1_000_000, -1234, Number.MAX_SAFE_INTEGER]) {
      expect(formatCount(n)).toBe(n.toLocaleString('en-US'));
    }
    fc.assert(
      fc.property(fc.maxSafeInteger(), (n) => {
        expect(formatCount(n)).toBe(n.toLocaleString('en-US'));
      }),
    );
    expect(formatCount(1234.5)).toBe('1,234.5');
  });

  it('formatCount of an integer never calls toLocaleString (its first call costs ~20 ms of ICU start-up)', () => {
    const spy = vi.spyOn(Number.prototype, 'toLocaleString');
    try {
      expect(formatCount(1_234_567)).toBe('1,234,567');
      expect(spy).not.toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });
});

describe('formatTable', () => {
  it('aligns columns, right-aligns numeric ones, no trailing spaces', () => {
    const table = formatTable(
      ['NAME', 'SIZE', 'STATE'],
      [
        ['a.wal', '1,024', 'ok'],
        ['bb.wal', '5', 'zero-filled tail'],
        ['c.wal', '-', ''],
      ],
    );
    expect(table.split('\n')).toEqual(['NAME     SIZE  STATE', 'a.wal   1,024  ok', 'bb.wal      5  zero-filled tail', 'c.wal       -']);
  });
});

describe('record lines', () => {
  const record = (overrides: Partial<DumpedRecord>): DumpedRecord => ({
    position: { segmentId: 2, offset: 77 },
    size: 30,
    key: text('k'),
    value: text('v'),
    tombstone: false,
    ttlMs: undefined,
    compression: 'none',
    ...overrides,
  });

  it('text: PUT/DEL, ttl, compression, full length when cut', () => {
    expect(formatRecordLine(record({}), 64)).toBe('2:77  PUT  key="k"  value="v"');
    expect(formatRecordLine(record({ tombstone: true, value: new Uint8Array() }), 64)).toBe('2:77  DEL  key="k"');
    expect(formatRecordLine(record({ ttlMs: 18446744073709551615n, compression: 'zstd', value: text('x'.repeat(10)) }), 4)).toBe(
      '2:77  PUT  key="k"  value="xxxx…"  len=10  ttl=18446744073709551615ms  zstd',
    );
  });

  it('JSON: valid JSON, exact u64 ttl digits, keyText only for printable keys', () => {
    const line = recordToJsonLine(record({ ttlMs: 18446744073709551615n, key: Uint8Array.of(0, 255), value: text('hi') }), 'hex');
    expect(line).toBe(
      '{"segmentId":2,"offset":77,"size":30,"tombstone":false,"ttlMs":18446744073709551615,"compression":"none","valueLength":2,"key":"00ff","value":"6869"}',
    );
    expect(JSON.parse(line)).toMatchObject({ key: '00ff', value: '6869' });
    const printable = JSON.parse(recordToJsonLine(record({ key: text('a"b') }), 'base64')) as Record<string, unknown>;
    expect(printable).toMatchObject({ keyText: 'a"b', key: 'YSJi', value: 'dg==', ttlMs: null });
  });
});

describe('shouldShowProgress', () => {
  const big = 64 * 1024 * 1024;
  it('only on a TTY, never with --json or --no-progress, only for large logs', () => {
    expect(shouldShowProgress({ isTTY: true, json: false, disabled: false, totalBytes: big })).toBe(true);
    expect(shouldShowProgress({ isTTY: false, json: false, disabled: false, totalBytes: big })).toBe(false);
    expect(shouldShowProgress({ isTTY: true, json: true, disabled: false, totalBytes: big })).toBe(false);
    expect(shouldShowProgress({ isTTY: true, json: false, disabled: true, totalBytes: big })).toBe(false);
    expect(shouldShowProgress({ isTTY: true, json: false, disabled: false, totalBytes: 1024 })).toBe(false);
    expect(shouldShowProgress({ isTTY: true, json: false, disabled: false, totalBytes: 1024, thresholdBytes: 1 })).toBe(true);
  });
});

describe('parseByteSize (--max-record-size)', () => {
  it.each([
    ['4096', 4096],
    ['1b', 1],
    ['1kb', 1000],
    ['1KiB', 1024],
    [' 64 kib ', 65_536],
    ['2mb', 2_000_000],
    ['1mib', 1_048_576],
    ['1gb', 1_000_000_000],
    ['1GiB', 1_073_741_824],
  ])('%j is %d bytes', (text, bytes) => {
    expect(parseByteSize(text, '--max-record-size')).toBe(bytes);
  });

  it.each(['', 'kb', '1k', '1.5kb', '-1kb', '1 tb', '1kbb', '99999999999999999gib'])('rejects %j with a usage error', (text) => {
    expect(() => parseByteSize(text, '--max-record-size')).toThrow(NoriCliError);
    try {
      parseByteSize(text, '--max-record-size');
    } catch (error) {
      expect((error as NoriCliError).code).toBe('ERR_USAGE');
      expect((error as NoriCliError).exitCode).toBe(2);
      expect((error as NoriCliError).message).toContain('--max-record-size');
    }
  });
});
