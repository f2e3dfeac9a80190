import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/observability/logger.js';

function capture(): { lines: string[]; destination: Writable } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString('utf8'));
      callback();
    },
  });
  return { lines, destination };
}

describe('createLogger', () => {
  it('redacts authorization headers and tokens wherever they are logged', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ level: 'info', destination });
    logger.info({ req: { headers: { authorization: 'Bearer s3cr3t-1', host: 'h' } } }, 'a');
    logger.info({ headers: { authorization: 'Bearer s3cr3t-2' } }, 'b');
    logger.info({ token: 's3cr3t-3', adminToken: 's3cr3t-4' }, 'c');
    logger.info({ settings: { adminToken: 's3cr3t-5', port: 1 } }, 'd');
    logger.child({ component: 'x' }).info({ request: { headers: { authorization: 's3cr3t-6' } } }, 'e');
    const text = lines.join('');
    expect(lines).toHaveLength(5);
    expect(text).not.toMatch(/s3cr3t/);
    expect(text.match(/\[Redacted\]/g)).toHaveLength(6);
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({ req: { headers: { host: 'h' } }, msg: 'a' });
  });

  it('honours the level', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ level: 'warn', destination });
    logger.info('hidden');
    logger.warn('shown');
    expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['shown']);
  });
});
