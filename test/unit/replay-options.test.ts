import { describe, expect, it } from 'vitest';
import { isLoopbackHost, parseTarget, TargetError } from '../../src/cli/replay/http-target.js';
import { parseReplayArgs, UsageError, type ParsedArgs } from '../../src/cli/replay/options.js';
import { compressPolicy } from '../../src/cli/replay/time-compression.js';

function problems(argv: string[]): readonly string[] {
  try {
    parseReplayArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) return err.problems;
    throw err;
  }
  throw new Error('expected a UsageError');
}

function options(parsed: ParsedArgs) {
  if (parsed.kind !== 'run') throw new Error('expected options');
  return parsed.options;
}

describe('replay command line', () => {
  it('has defaults for a virtual replay', () => {
    expect(options(parseReplayArgs(['trace.tsv']))).toEqual({
      file: 'trace.tsv',
      format: undefined,
      cost: 'one',
      spec: { limit: 10, window: 60, algorithm: 'sliding-window' },
      mode: 'virtual',
      http: undefined,
      maxRequests: undefined,
      maxSeconds: undefined,
      compareExact: false,
      json: false,
    });
  });

  it('reads the policy, format, cost and bounds', () => {
    const o = options(
      parseReplayArgs([
        'x.log',
        '--limit',
        '5',
        '--window',
        '10',
        '--algorithm',
        'token-bucket',
        '--format',
        'apache',
        '--cost',
        'bytes',
        '--max-requests',
        '100',
        '--max-seconds',
        '2.5',
        '--compare-exact',
        '--json',
      ]),
    );
    expect(o.spec).toEqual({ limit: 5, window: 10, algorithm: 'token-bucket' });
    expect([o.format, o.cost, o.maxRequests, o.maxSeconds, o.compareExact, o.json]).toEqual([
      'apache',
      'bytes',
      100,
      2.5,
      true,
      true,
    ]);
  });

  it('answers --help without needing a file', () => {
    expect(parseReplayArgs(['--help'])).toEqual({ kind: 'help' });
  });

  it('reports every bad flag at once', () => {
    expect(
      problems([
        'a',
        'b',
        '--limit',
        '0',
        '--window',
        '1.5',
        '--algorithm',
        'nope',
        '--cost',
        'free',
        '--format',
        'csv',
      ]),
    ).toEqual([
      'expected exactly one FILE, got 2',
      '--format: must be one of nasa, apache (got "csv")',
      '--cost: must be one of one, bytes (got "free")',
      '--limit: must be between 1 and 9007199254740991',
      '--window: must be an integer',
      '--algorithm: must be one of fixed-window, sliding-window, sliding-log, token-bucket, leaky-bucket',
    ]);
    expect(problems(['a', '--limit', 'ten'])).toEqual(['--limit: must be a number']);
    expect(problems(['a', '--bogus'])[0]).toMatch(/bogus/);
    expect(problems(['a', '--max-requests=-3', '--max-seconds', '0'])).toEqual([
      '--max-requests: must be an integer between 1 and 9007199254740991 (got "-3")',
      '--max-seconds: must be a positive number of seconds (got "0")',
    ]);
  });

  it('keeps http flags to http mode and --compare-exact to virtual mode', () => {
    expect(problems(['a', '--speedup', '10', '--url', 'http://127.0.0.1:1'])).toEqual([
      '--url: only with --mode http',
      '--speedup: only with --mode http',
    ]);
    expect(problems(['a', '--mode', 'http', '--compare-exact'])).toEqual([
      '--compare-exact: only with --mode virtual',
    ]);
  });

  it('builds the http options: loopback target, scaled policy, token from the environment', () => {
    const o = options(
      parseReplayArgs(['a', '--mode', 'http', '--limit', '5', '--window', '10', '--speedup', '5'], 'secret'),
    );
    expect(o.maxSeconds).toBe(60);
    expect(o.http?.url.href).toBe('http://127.0.0.1:8080/');
    expect(o.http?.token).toBe('secret');
    expect(o.http?.concurrency).toBe(32);
    expect(o.http?.sent).toEqual({
      spec: { limit: 5, window: 2, algorithm: 'sliding-window' },
      method: 'window-divided',
    });
    const flagToken = options(
      parseReplayArgs(['a', '--mode', 'http', '--token', 't', '--service-default'], 'env'),
    );
    expect(flagToken.http?.token).toBe('t');
    expect(flagToken.http?.sent).toBeNull();
  });

  it('refuses a remote target unless --allow-remote, and a bad speedup', () => {
    expect(problems(['a', '--mode', 'http', '--url', 'http://10.0.0.1:8080'])).toEqual([
      '--url: 10.0.0.1 is not a loopback address; pass --allow-remote to replay against it',
    ]);
    expect(
      options(parseReplayArgs(['a', '--mode', 'http', '--url', 'http://10.0.0.1:8080', '--allow-remote']))
        .http?.url.hostname,
    ).toBe('10.0.0.1');
    expect(problems(['a', '--mode', 'http', '--speedup', '0'])).toEqual([
      '--speedup: must be an integer between 1 and 1000000 (got "0")',
    ]);
    expect(
      problems(['a', '--mode', 'http', '--limit', '9007199254740991', '--window', '7', '--speedup', '2'])[0],
    ).toMatch(/^--speedup: the limit scaled by 2 is out of range/);
  });
});

describe('replay target', () => {
  it('knows loopback hosts', () => {
    expect(['localhost', '127.0.0.1', '127.8.9.10', '[::1]'].map(isLoopbackHost)).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect(['10.0.0.1', 'example.com', '[::2]', '128.0.0.1', '0.0.0.0'].map(isLoopbackHost)).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
  });

  it('accepts only http(s) URLs', () => {
    expect(() => parseTarget('ftp://127.0.0.1/', false)).toThrow(TargetError);
    expect(() => parseTarget('not a url', false)).toThrow(TargetError);
  });
});

describe('time compression', () => {
  const spec = { limit: 5, window: 60, algorithm: 'fixed-window' } as const;

  it('divides the window when the speedup divides it, else multiplies the limit', () => {
    expect(compressPolicy(spec, 1)).toEqual({ spec, method: 'none' });
    expect(compressPolicy(spec, 60)).toEqual({ spec: { ...spec, window: 1 }, method: 'window-divided' });
    expect(compressPolicy(spec, 7)).toEqual({ spec: { ...spec, limit: 35 }, method: 'limit-multiplied' });
  });
});
