import { describe, expect, it } from 'vitest';
import { RateLimitedLog } from '../../../src/observability/rate-limited-log.js';
import { ManualClock } from '../../../src/store/memory/manual-clock.js';
import { captureLogs } from '../../support/captured-logger.js';

describe('RateLimitedLog', () => {
  it('logs at most one error per kind per interval and reports how many it suppressed', () => {
    const { logger, lines } = captureLogs();
    const clock = new ManualClock(1_000);
    const log = new RateLimitedLog(logger, 10_000, clock);
    const boom = new Error('UNAVAILABLE');

    log.error('watch', boom, 'watch down');
    log.error('watch', boom, 'watch down');
    log.error('write', boom, 'write failed'); // another kind has its own budget
    clock.advance(9_999);
    log.error('watch', boom, 'watch down');
    clock.advance(1);
    log.error('watch', boom, 'watch down again');

    expect(lines.map((line) => [line['level'], line['kind'], line['suppressed'], line['msg']])).toEqual([
      [50, 'watch', 0, 'watch down'],
      [50, 'write', 0, 'write failed'],
      [50, 'watch', 2, 'watch down again'],
    ]);
    expect(lines[0]?.['err']).toMatchObject({ message: 'UNAVAILABLE' });
  });

  it('a recovery is logged and lets the next failure log at once', () => {
    const { logger, lines } = captureLogs();
    const clock = new ManualClock(0);
    const log = new RateLimitedLog(logger, 10_000, clock);
    log.error('watch', new Error('x'), 'down');
    log.error('watch', new Error('x'), 'down');
    log.recovered('watch', 'resumed');
    log.error('watch', new Error('x'), 'down');
    expect(lines.map((line) => [line['level'], line['suppressed'], line['msg']])).toEqual([
      [50, 0, 'down'],
      [30, 1, 'resumed'],
      [50, 0, 'down'],
    ]);
  });
});
