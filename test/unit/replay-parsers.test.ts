import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseApacheLine, parseApacheTime } from '../../src/cli/replay/apache-parser.js';
import { costOf } from '../../src/cli/replay/cost.js';
import { detectFormat } from '../../src/cli/replay/detect-format.js';
import { loadTrace, TraceFormatError } from '../../src/cli/replay/load-trace.js';
import { NASA_HEADER, parseNasaLine } from '../../src/cli/replay/nasa-parser.js';
import { spreadTimestamps } from '../../src/cli/replay/spread-timestamps.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';

const NASA_LINES = [
  NASA_HEADER,
  'pppa006.compuserve.com\t-\t807256800\tGET\t/images/launch-logo.gif\t200\t1713\t\t',
  'vcc7.langara.bc.ca\t-\t807256804\tGET\t/shuttle/missions/missions.html\t200\t8677\t\t',
  'pppa006.compuserve.com\t-\t807256804\tGET\t/images/NASA-logosmall.gif\t304\t-\t\t',
  'pppa006.compuserve.com\t-\t807256804\tGET\t/shuttle/countdown/video/livevideo.jpeg\t200\t20001\t\t',
];

const UA = '"-" "Mozilla/5.0 (X11; Linux x86_64)"';
// out of order, as in the real file: 10:05:43 before 10:05:03, two lines in 10:05:03
const APACHE_LINES = [
  `198.18.0.2 - - [17/May/2015:10:05:43 +0000] "GET /b.png HTTP/1.1" 200 171717 ${UA}`,
  `198.18.0.3 - - [17/May/2015:10:05:03 +0000] "GET /a.png HTTP/1.1" 200 203023 ${UA}`,
  `198.18.0.2 - - [17/May/2015:10:05:03 +0000] "GET /c.js HTTP/1.1" 304 - ${UA}`,
  `198.18.0.4 - - [17/May/2015:10:05:12 +0000] "HEAD / HTTP/1.0" 200 0`,
];

describe('NASA TSV lines', () => {
  it('parses host, epoch second and bytes; "-" bytes is null', () => {
    expect(parseNasaLine(NASA_LINES[1] ?? '')).toEqual({
      clientId: 'pppa006.compuserve.com',
      second: 807256800,
      bytes: 1713,
    });
    expect(parseNasaLine(NASA_LINES[3] ?? '')).toEqual({
      clientId: 'pppa006.compuserve.com',
      second: 807256804,
      bytes: null,
    });
  });

  it('rejects the header and malformed lines', () => {
    expect(parseNasaLine(NASA_HEADER)).toBeUndefined();
    expect(parseNasaLine('host.example\t-\tnoon\tGET\t/\t200\t1\t\t')).toBeUndefined();
    expect(parseNasaLine('host.example\t-\t807256800\tGET\t/\t200\tlots\t\t')).toBeUndefined();
    expect(parseNasaLine('just one field')).toBeUndefined();
  });
});

describe('Apache combined log lines', () => {
  it('parses address, time and bytes; "-" bytes is null', () => {
    expect(parseApacheLine(APACHE_LINES[0] ?? '')).toEqual({
      clientId: '198.18.0.2',
      second: Date.UTC(2015, 4, 17, 10, 5, 43) / 1000,
      bytes: 171717,
    });
    expect(parseApacheLine(APACHE_LINES[2] ?? '')?.bytes).toBeNull();
    expect(parseApacheLine(APACHE_LINES[3] ?? '')).toEqual({
      clientId: '198.18.0.4',
      second: Date.UTC(2015, 4, 17, 10, 5, 12) / 1000,
      bytes: 0,
    });
  });

  it('applies the zone offset and rejects bad times and lines', () => {
    expect(parseApacheTime('17/May/2015:12:05:03 +0200')).toBe(Date.UTC(2015, 4, 17, 10, 5, 3) / 1000);
    expect(parseApacheTime('17/May/2015:05:05:03 -0530')).toBe(Date.UTC(2015, 4, 17, 10, 35, 3) / 1000);
    expect(parseApacheTime('17/Foo/2015:10:05:03 +0000')).toBeUndefined();
    expect(parseApacheTime('2015-05-17T10:05:03Z')).toBeUndefined();
    expect(parseApacheLine('198.18.0.2 - - garbage')).toBeUndefined();
  });
});

describe('format detection', () => {
  it('recognises each format by its first line', () => {
    expect(detectFormat(NASA_HEADER)).toBe('nasa');
    expect(detectFormat(NASA_LINES[1] ?? '')).toBe('nasa');
    expect(detectFormat(APACHE_LINES[0] ?? '')).toBe('apache');
    expect(detectFormat('{"json": true}')).toBeUndefined();
  });
});

describe('time spreading and cost', () => {
  it('gives the i-th of n requests in second s the time s*1000 + floor(i*1000/n)', () => {
    expect(spreadTimestamps([5, 5, 5, 6, 9, 9])).toEqual([5000, 5333, 5666, 6000, 9000, 9500]);
    expect(spreadTimestamps([])).toEqual([]);
  });

  it('costs 1 per request, or max(1, ceil(bytes/10000)) with "-" as 0', () => {
    expect(costOf(123_456, 'one')).toBe(1);
    expect(costOf(null, 'bytes')).toBe(1);
    expect(costOf(0, 'bytes')).toBe(1);
    expect(costOf(10_000, 'bytes')).toBe(1);
    expect(costOf(10_001, 'bytes')).toBe(2);
    expect(costOf(1_269_716, 'bytes')).toBe(127);
  });
});

describe('loadTrace', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await makeTempDir('replay-parsers-');
  });
  afterAll(async () => {
    await removeTempDir(dir);
  });

  async function write(name: string, lines: readonly string[]): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, `${lines.join('\n')}\n`);
    return path;
  }

  it('stable-sorts an unsorted Apache log, spreads shared seconds and interns clients', async () => {
    const trace = await loadTrace(await write('apache.log', APACHE_LINES), { cost: 'bytes' });
    const s = Date.UTC(2015, 4, 17, 10, 5, 0);
    expect(trace.format).toBe('apache');
    expect(trace.clients).toEqual(['198.18.0.3', '198.18.0.2', '198.18.0.4']);
    expect(trace.requests).toEqual([
      { client: 0, at: s + 3000, cost: 21 },
      { client: 1, at: s + 3500, cost: 1 },
      { client: 2, at: s + 12_000, cost: 1 },
      { client: 1, at: s + 43_000, cost: 18 },
    ]);
    expect(trace.skippedLines).toBe(0);
  });

  it('skips the NASA header, counts malformed lines and honours --format', async () => {
    const path = await write('nasa.tsv', [...NASA_LINES, 'not a log line', '']);
    const trace = await loadTrace(path, { format: 'nasa', cost: 'one' });
    expect(trace.format).toBe('nasa');
    expect(trace.clients).toEqual(['pppa006.compuserve.com', 'vcc7.langara.bc.ca']);
    expect(trace.requests.map((r) => r.at)).toEqual([807256800000, 807256804000, 807256804333, 807256804666]);
    expect(trace.skippedLines).toBe(1);
  });

  it('refuses a file in neither format, and a forced format that matches nothing', async () => {
    await expect(loadTrace(await write('other.txt', ['hello']), { cost: 'one' })).rejects.toThrow(
      TraceFormatError,
    );
    await expect(
      loadTrace(await write('nasa2.tsv', NASA_LINES), { format: 'apache', cost: 'one' }),
    ).rejects.toThrow(/no requests found/);
  });
});
