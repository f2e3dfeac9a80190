import { describe, expect, it } from 'vitest';
import { parseLimitLines } from '../../src/cli/ctl/limit-lines.js';
import { parseCtlArgs } from '../../src/cli/ctl/parse-args.js';
import { createProgressReporter } from '../../src/cli/ctl/progress-reporter.js';
import { UsageError } from '../../src/cli/ctl/usage.js';

const ENV = { ETCD_ENDPOINTS: 'http://127.0.0.1:2379' };

function problems(argv: string[], env: Record<string, string> = ENV): readonly string[] {
  try {
    parseCtlArgs(argv, env);
  } catch (err) {
    if (err instanceof UsageError) return err.problems;
    throw err;
  }
  throw new Error('expected a UsageError');
}

describe('parseCtlArgs', () => {
  it('environment defaults, flags override them', () => {
    expect(parseCtlArgs(['status'], ENV)).toEqual({
      command: { kind: 'status' },
      options: { endpoints: ['http://127.0.0.1:2379'], prefix: '/ratelimiter', timeoutMs: 5000, json: false },
    });
    expect(
      parseCtlArgs(
        ['status', '--json', '--endpoints', 'http://a:1,https://b:2', '--prefix', '/x', '--timeout', '100'],
        { ...ENV, ETCD_PREFIX: '/env' },
      ).options,
    ).toEqual({ endpoints: ['http://a:1', 'https://b:2'], prefix: '/x', timeoutMs: 100, json: true });
    expect(parseCtlArgs(['status'], { ...ENV, ETCD_PREFIX: '/env' }).options.prefix).toBe('/env');
  });

  it('every command', () => {
    const command = (argv: string[]): unknown => parseCtlArgs(argv, ENV).command;
    expect(command(['limits', 'get', 'a/b'])).toEqual({ kind: 'limits-get', id: 'a/b' });
    expect(command(['limits', 'set', 'a', '10', '60'])).toEqual({
      kind: 'limits-set',
      id: 'a',
      limit: { limit: 10, window: 60 },
    });
    expect(command(['limits', 'set', 'a', '10', '60', 'leaky-bucket'])).toEqual({
      kind: 'limits-set',
      id: 'a',
      limit: { limit: 10, window: 60, algorithm: 'leaky-bucket' },
    });
    expect(command(['limits', 'delete', 'a'])).toEqual({ kind: 'limits-delete', id: 'a' });
    expect(command(['limits', 'export'])).toEqual({ kind: 'limits-export', file: undefined });
    expect(command(['limits', 'export', 'f'])).toEqual({ kind: 'limits-export', file: 'f' });
    expect(command(['limits', 'import', 'f'])).toEqual({ kind: 'limits-import', file: 'f' });
    expect(command(['throttle', 'get'])).toEqual({ kind: 'throttle-get' });
    expect(command(['throttle', 'set', '.25', 'why', '--ttl', '60'])).toEqual({
      kind: 'throttle-set',
      multiplier: 0.25,
      reason: 'why',
      ttlSeconds: 60,
    });
    expect(command(['throttle', 'set', '1', 'why'])).toEqual({
      kind: 'throttle-set',
      multiplier: 1,
      reason: 'why',
      ttlSeconds: undefined,
    });
    expect(command(['throttle', 'clear'])).toEqual({ kind: 'throttle-clear' });
    expect(command(['overrides', 'set', 'a', '--multiplier', '0.5'])).toEqual({
      kind: 'overrides-set',
      id: 'a',
      override: { multiplier: 0.5 },
    });
    expect(command(['overrides', 'set', 'a', '--limit', '3', '--window', '1'])).toEqual({
      kind: 'overrides-set',
      id: 'a',
      override: { limit: 3, window: 1 },
    });
    expect(command(['overrides', 'delete', 'a'])).toEqual({ kind: 'overrides-delete', id: 'a' });
    expect(command(['defaults', 'get'])).toEqual({ kind: 'defaults-get' });
    expect(command(['defaults', 'set', '1', '2'])).toEqual({
      kind: 'defaults-set',
      limit: { limit: 1, window: 2 },
    });
    expect(command(['defaults', 'clear'])).toEqual({ kind: 'defaults-clear' });
    expect(command(['--help'])).toEqual({ kind: 'help' });
  });

  it('reports every problem at once', () => {
    expect(problems(['limits', 'set', 'a', '0', '1e3', 'lru'])).toEqual([
      'WINDOW must be a whole number (got "1e3")',
    ]);
    expect(problems(['limits', 'set', 'a', '0', '99999999', 'lru'])).toEqual([
      'LIMIT must be between 1 and 9007199254740991',
      'WINDOW must be between 1 and 31536000',
      'ALGORITHM must be one of fixed-window, sliding-window, sliding-log, token-bucket, leaky-bucket',
    ]);
    expect(problems(['throttle', 'set', '0', '', '--ttl', '0'], {})).toEqual([
      'REASON must be 1 to 1024 characters',
      '--ttl must be between 1 and 31536000 seconds',
      'MULTIPLIER must be greater than 0 and at most 1 (got "0")',
      'no etcd endpoints: set ETCD_ENDPOINTS or pass --endpoints http://host:2379',
    ]);
    expect(problems(['limits', 'get', 'a\u0001'])).toEqual(['ID must not contain control characters']);
    expect(problems(['limits', 'get'])).toEqual(['ID is missing']);
    expect(problems(['limits', 'get', 'a', 'b'])).toEqual(['unexpected arguments: b']);
    expect(problems(['status', '--prefix', 'nope', '--endpoints', 'redis://x:1'])).toEqual([
      '--prefix must start with "/" and hold printable ASCII only (got "nope")',
      'endpoint "redis://x:1" is not an http(s)://host:port URL',
    ]);
    expect(problems(['status', '--bogus'])).toEqual([
      "Unknown option '--bogus'. To specify a positional argument starting with a '-', place it at the end of the command after '--', as in '-- \"--bogus\"",
    ]);
    expect(problems([])).toEqual(['no command given']);
  });
});

describe('parseLimitLines', () => {
  it('parses valid lines, keeps an absent algorithm absent, skips blank lines and CRLF', () => {
    expect(
      parseLimitLines(
        '{"id":"a","limit":1,"window":2}\r\n\n{"id":"b/c","limit":3,"window":4,"algorithm":"sliding-log"}',
      ),
    ).toEqual({
      entries: [
        { id: 'a', limit: { limit: 1, window: 2 } },
        { id: 'b/c', limit: { limit: 3, window: 4, algorithm: 'sliding-log' } },
      ],
      bad: [],
    });
  });

  it('names every bad line', () => {
    const text = [
      '[1]',
      '{"limit":1,"window":1}',
      '{"id":"a","limit":1,"window":0,"x":1}',
      '{"id":"a","limit":1,"window":1}',
      '{"id":"a","limit":1,"window":1}',
    ].join('\n');
    expect(parseLimitLines(text).bad).toEqual([
      { line: 1, problem: 'not a JSON object' },
      { line: 2, problem: '/id must be a string' },
      { line: 3, problem: '/x unknown key; /window must be between 1 and 31536000' },
      { line: 5, problem: 'id "a" is already set on line 4' },
    ]);
  });
});

describe('createProgressReporter (not a terminal)', () => {
  it('a line at every tenth of the way, and after 5 s without one', () => {
    const lines: string[] = [];
    let now = 0;
    const reporter = createProgressReporter({ write: (s) => lines.push(s) > 0 }, 1000, 'imported', () => now);
    for (let done = 50; done <= 1000; done += 50) reporter.update(done);
    expect(lines).toEqual([
      'imported 100/1000 (10%)\n',
      'imported 200/1000 (20%)\n',
      'imported 300/1000 (30%)\n',
      'imported 400/1000 (40%)\n',
      'imported 500/1000 (50%)\n',
      'imported 600/1000 (60%)\n',
      'imported 700/1000 (70%)\n',
      'imported 800/1000 (80%)\n',
      'imported 900/1000 (90%)\n',
      'imported 1000/1000 (100%)\n',
    ]);
    lines.length = 0;
    const slow = createProgressReporter(
      { write: (s) => lines.push(s) > 0 },
      1_000_000,
      'imported',
      () => now,
    );
    slow.update(1);
    now = 5_000;
    slow.update(2);
    expect(lines).toEqual(['imported 2/1000000 (0%)\n']);
  });
});
