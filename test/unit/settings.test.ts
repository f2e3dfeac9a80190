import { describe, expect, it } from 'vitest';
import { SettingsError } from '../../src/errors.js';
import { describeSettings, loadSettings, type FileReader } from '../../src/settings.js';

const TOKEN = 'a-long-enough-admin-token-0123456789';

function problemsOf(fn: () => unknown): { field: string; message: string }[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SettingsError);
    return [...(err as SettingsError).problems];
  }
  throw new Error('expected a SettingsError');
}

function fieldsOf(fn: () => unknown): string[] {
  return problemsOf(fn).map((p) => p.field);
}

const noFile: FileReader = () => {
  throw new Error('no file should be read');
};

describe('loadSettings: defaults', () => {
  it('an empty environment gives DESIGN §4 defaults (embedded mode)', () => {
    expect(loadSettings({}, noFile)).toEqual({
      port: 8080,
      host: '127.0.0.1',
      redisUrl: undefined,
      redisClusterNodes: undefined,
      redisSentinel: undefined,
      etcdEndpoints: undefined,
      etcdPrefix: '/ratelimiter',
      adminToken: undefined,
      defaultAlgorithm: 'sliding-window',
      storeDeadlineMs: 50,
      degradedMode: 'local',
      logLevel: 'info',
      defaultLimit: undefined,
      overLimitCacheSize: 100_000,
      configFile: undefined,
    });
  });

  it('ignores unrelated variables and treats empty values as unset', () => {
    const s = loadSettings({ PATH: '/usr/bin', HOME: '/root', PORT: '', RL_ADMIN_TOKEN: '  ' }, noFile);
    expect(s.port).toBe(8080);
    expect(s.adminToken).toBeUndefined();
  });

  it('is deeply frozen', () => {
    const s = loadSettings(
      { ETCD_ENDPOINTS: 'http://a:2379', RL_DEFAULT_LIMIT: '5', RL_DEFAULT_WINDOW: '1' },
      noFile,
    );
    expect(Object.isFrozen(s)).toBe(true);
    expect(Object.isFrozen(s.etcdEndpoints)).toBe(true);
    expect(Object.isFrozen(s.defaultLimit)).toBe(true);
    expect(() => {
      (s as { port: number }).port = 1;
    }).toThrow(TypeError);
  });
});

describe('loadSettings: every variable', () => {
  it('reads each variable', () => {
    const s = loadSettings(
      {
        PORT: '9090',
        HOST: '0.0.0.0',
        REDIS_URL: 'redis://cache.internal:6380/2',
        ETCD_ENDPOINTS: 'http://e1:2379, https://e2:2379',
        ETCD_PREFIX: '/rl/prod',
        RL_ADMIN_TOKEN: TOKEN,
        RL_DEFAULT_ALGORITHM: 'token-bucket',
        RL_STORE_DEADLINE_MS: '25',
        RL_DEGRADED_MODE: 'closed',
        LOG_LEVEL: 'debug',
        RL_DEFAULT_LIMIT: '100',
        RL_DEFAULT_WINDOW: '60',
        RL_OVER_LIMIT_CACHE_SIZE: '0',
      },
      noFile,
    );
    expect(s).toEqual({
      port: 9090,
      host: '0.0.0.0',
      redisUrl: 'redis://cache.internal:6380/2',
      redisClusterNodes: undefined,
      redisSentinel: undefined,
      etcdEndpoints: ['http://e1:2379', 'https://e2:2379'],
      etcdPrefix: '/rl/prod',
      adminToken: TOKEN,
      defaultAlgorithm: 'token-bucket',
      storeDeadlineMs: 25,
      degradedMode: 'closed',
      logLevel: 'debug',
      defaultLimit: { limit: 100, window: 60, algorithm: 'token-bucket' },
      overLimitCacheSize: 0,
      configFile: undefined,
    });
  });

  it('reads a Redis Cluster seed list', () => {
    expect(
      loadSettings({ REDIS_CLUSTER_NODES: '10.0.0.1:7000,node-b:7001,[::1]:7002' }, noFile).redisClusterNodes,
    ).toEqual(['10.0.0.1:7000', 'node-b:7001', '[::1]:7002']);
  });

  it('reads a Sentinel-managed primary: the sentinels and the name', () => {
    expect(
      loadSettings({ REDIS_SENTINELS: 's1:26379,[::1]:26380', REDIS_SENTINEL_NAME: 'rl-primary' }, noFile)
        .redisSentinel,
    ).toEqual({ sentinels: ['s1:26379', '[::1]:26380'], name: 'rl-primary' });
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '65536'],
    ['PORT', '-1'],
    ['PORT', '80.5'],
    ['PORT', '8080abc'],
    ['PORT', '1e3'],
    ['HOST', 'not a host'],
    ['HOST', 'bad_host!'],
    ['REDIS_URL', 'http://cache:6379'],
    ['REDIS_URL', 'cache:6379'],
    ['REDIS_CLUSTER_NODES', 'a:7000,b'],
    ['REDIS_CLUSTER_NODES', 'a:0'],
    ['REDIS_CLUSTER_NODES', 'a:7000,,b:7001'],
    ['REDIS_SENTINELS', 's1'],
    ['ETCD_ENDPOINTS', 'etcd:2379'],
    ['ETCD_ENDPOINTS', 'redis://etcd:2379'],
    ['ETCD_PREFIX', 'ratelimiter'],
    ['ETCD_PREFIX', '/ratelimiter/'],
    ['ETCD_PREFIX', '/rate limiter'],
    ['ETCD_PREFIX', '/'],
    ['RL_ADMIN_TOKEN', 'short'],
    ['RL_ADMIN_TOKEN', 'has a space in the middle of it'],
    ['RL_DEFAULT_ALGORITHM', 'leaky'],
    ['RL_STORE_DEADLINE_MS', '0'],
    ['RL_STORE_DEADLINE_MS', '60001'],
    ['RL_DEGRADED_MODE', 'maybe'],
    ['RL_OVER_LIMIT_CACHE_SIZE', '-1'],
    ['RL_OVER_LIMIT_CACHE_SIZE', '1.5'],
    ['RL_OVER_LIMIT_CACHE_SIZE', '10000001'],
    ['LOG_LEVEL', 'verbose'],
  ])('rejects %s=%j', (name, value) => {
    expect(fieldsOf(() => loadSettings({ [name]: value }, noFile))).toEqual([name]);
  });

  it.each([
    ['RL_DEFAULT_LIMIT', '0', 'RL_DEFAULT_WINDOW', '60'],
    ['RL_DEFAULT_LIMIT', '9007199254740992', 'RL_DEFAULT_WINDOW', '60'],
    ['RL_DEFAULT_WINDOW', '0', 'RL_DEFAULT_LIMIT', '5'],
    ['RL_DEFAULT_WINDOW', '31536001', 'RL_DEFAULT_LIMIT', '5'],
  ])('rejects %s=%s', (name, value, other, otherValue) => {
    expect(fieldsOf(() => loadSettings({ [name]: value, [other]: otherValue }, noFile))).toEqual([name]);
  });

  it('accepts the extremes of the default limit', () => {
    const s = loadSettings({ RL_DEFAULT_LIMIT: '9007199254740991', RL_DEFAULT_WINDOW: '31536000' }, noFile);
    expect(s.defaultLimit).toEqual({
      limit: 9007199254740991,
      window: 31536000,
      algorithm: 'sliding-window',
    });
  });

  it('needs RL_DEFAULT_LIMIT and RL_DEFAULT_WINDOW together', () => {
    expect(fieldsOf(() => loadSettings({ RL_DEFAULT_LIMIT: '5' }, noFile))).toEqual(['RL_DEFAULT_WINDOW']);
    expect(fieldsOf(() => loadSettings({ RL_DEFAULT_WINDOW: '5' }, noFile))).toEqual(['RL_DEFAULT_LIMIT']);
  });

  it('refuses REDIS_URL and REDIS_CLUSTER_NODES together', () => {
    expect(
      fieldsOf(() => loadSettings({ REDIS_URL: 'redis://a:6379', REDIS_CLUSTER_NODES: 'b:7000' }, noFile)),
    ).toEqual(['REDIS_CLUSTER_NODES']);
  });

  it('refuses more than one way to Redis, and sentinels without a name (or the reverse)', () => {
    expect(
      fieldsOf(() =>
        loadSettings(
          { REDIS_URL: 'redis://a:6379', REDIS_SENTINELS: 's:26379', REDIS_SENTINEL_NAME: 'm' },
          noFile,
        ),
      ),
    ).toEqual(['REDIS_SENTINELS']);
    expect(fieldsOf(() => loadSettings({ REDIS_SENTINELS: 's:26379' }, noFile))).toEqual([
      'REDIS_SENTINEL_NAME',
    ]);
    expect(fieldsOf(() => loadSettings({ REDIS_SENTINEL_NAME: 'm' }, noFile))).toEqual(['REDIS_SENTINELS']);
  });

  it('rejects unknown RL_ variables (typos) but not RL_CONFIG_FILE', () => {
    expect(fieldsOf(() => loadSettings({ RL_DEGRADE_MODE: 'open' }, noFile))).toEqual(['RL_DEGRADE_MODE']);
  });

  it('never echoes the admin token in a message', () => {
    const problems = problemsOf(() => loadSettings({ RL_ADMIN_TOKEN: 'secret pass' }, noFile));
    expect(problems).toHaveLength(1);
    expect(JSON.stringify(problems)).not.toContain('secret');
  });

  it('echoes other bad values so the operator sees what was read', () => {
    expect(problemsOf(() => loadSettings({ PORT: 'abc' }, noFile))[0]?.message).toContain('"abc"');
  });
});

describe('loadSettings: every problem at once', () => {
  it('reports all problems in one SettingsError whose message lists each', () => {
    let error: unknown;
    try {
      loadSettings(
        { PORT: 'abc', RL_DEGRADED_MODE: 'maybe', LOG_LEVEL: 'loud', RL_DEFAULT_LIMIT: '0', RL_TYPO: 'x' },
        noFile,
      );
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SettingsError);
    const e = error as SettingsError;
    expect(e.problems.map((p) => p.field).sort()).toEqual(
      ['LOG_LEVEL', 'PORT', 'RL_DEFAULT_LIMIT', 'RL_DEFAULT_WINDOW', 'RL_DEGRADED_MODE', 'RL_TYPO'].sort(),
    );
    expect(e.message).toMatch(/^invalid configuration \(6 problems\):/);
    for (const field of ['PORT', 'RL_DEGRADED_MODE', 'LOG_LEVEL', 'RL_DEFAULT_LIMIT', 'RL_TYPO']) {
      expect(e.message).toContain(`  - ${field}: `);
    }
  });
});

describe('loadSettings: config file (RL_CONFIG_FILE)', () => {
  const file =
    (content: string): FileReader =>
    (path) => {
      expect(path).toBe('/etc/rl.json');
      return content;
    };

  it('reads the same keys from a JSON file; numbers and lists may be JSON-typed', () => {
    const s = loadSettings(
      { RL_CONFIG_FILE: '/etc/rl.json' },
      file(JSON.stringify({ PORT: 9000, ETCD_ENDPOINTS: ['http://a:2379'], RL_DEGRADED_MODE: 'open' })),
    );
    expect(s.port).toBe(9000);
    expect(s.etcdEndpoints).toEqual(['http://a:2379']);
    expect(s.degradedMode).toBe('open');
    expect(s.configFile).toBe('/etc/rl.json');
  });

  it('the environment wins over the file', () => {
    const s = loadSettings(
      { RL_CONFIG_FILE: '/etc/rl.json', PORT: '7000' },
      file('{"PORT": 9000, "HOST": "::1"}'),
    );
    expect(s.port).toBe(7000);
    expect(s.host).toBe('::1');
  });

  it('validates file values like environment values', () => {
    expect(
      fieldsOf(() => loadSettings({ RL_CONFIG_FILE: '/etc/rl.json' }, file('{"PORT": 1.5, "HOST": 7}'))),
    ).toEqual(['PORT', 'HOST']);
  });

  it('rejects unknown keys and values of the wrong JSON type', () => {
    const problems = problemsOf(() =>
      loadSettings({ RL_CONFIG_FILE: '/etc/rl.json' }, file('{"PROT": 1, "LOG_LEVEL": {"x": 1}}')),
    );
    expect(problems).toEqual([
      { field: 'RL_CONFIG_FILE', message: 'unknown key "PROT" in /etc/rl.json' },
      { field: 'LOG_LEVEL', message: 'in /etc/rl.json: must be a string, a number or a list of strings' },
    ]);
  });

  it.each([
    ['not JSON', 'PORT=1', 'is not valid JSON'],
    ['not an object', '[1, 2]', 'must hold a JSON object'],
  ])('reports a file that is %s', (_name, content, message) => {
    const problems = problemsOf(() => loadSettings({ RL_CONFIG_FILE: '/etc/rl.json' }, file(content)));
    expect(problems).toEqual([{ field: 'RL_CONFIG_FILE', message: `"/etc/rl.json" ${message}` }]);
  });

  it('reports an unreadable file together with the other problems', () => {
    const unreadable: FileReader = () => {
      throw Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' });
    };
    expect(fieldsOf(() => loadSettings({ RL_CONFIG_FILE: '/missing.json', PORT: 'x' }, unreadable))).toEqual([
      'RL_CONFIG_FILE',
      'PORT',
    ]);
  });
});

describe('describeSettings', () => {
  it('says whether a token is set without containing it', () => {
    const described = describeSettings(loadSettings({ RL_ADMIN_TOKEN: TOKEN }, noFile));
    expect(described.adminTokenSet).toBe(true);
    expect(JSON.stringify(described)).not.toContain(TOKEN);
  });
});
