import type { ReplaySummary } from './summary.js';

const int = (n: number): string => n.toLocaleString('en-US');
const pct = (part: number, whole: number): string =>
  whole > 0 ? `${((100 * part) / whole).toFixed(2)}%` : '-';

function row(label: string, value: string): string {
  return `  ${label.padEnd(Math.max(26, label.length + 2))}${value}`;
}

function describeHttp(s: ReplaySummary): string[] {
  if (s.http === null) return [];
  const { sent } = s.http;
  const policy =
    sent === null
      ? "the service's default limit (--service-default; not scaled)"
      : `${int(sent.spec.limit)} per ${int(sent.spec.window)} s (${sent.method}) PUT per client`;
  return [
    row('target', `${s.http.url}, speedup ${s.http.speedup}x, concurrency ${s.http.concurrency}`),
    row('policy sent', policy),
    row('schedule lag', `max ${s.http.maxLagMs.toFixed(1)} ms behind`),
    ...(s.http.firstError === null ? [] : [row('first error', s.http.firstError)]),
  ];
}

function describeExact(s: ReplaySummary): string[] {
  if (s.exact === null) return [];
  const e = s.exact;
  const differ = e.overAdmits + e.underAdmits;
  return [
    '',
    `versus exact ${e.exactAlgorithm} (a second, independent replay of the same requests)`,
    row(`${e.exactAlgorithm} allowed`, `${int(e.exactAllowed)}  (denied ${int(e.exactDenied)})`),
    row(
      'over-admits',
      `${int(e.overAdmits)}  (allowed by ${s.policy.algorithm}, denied by ${e.exactAlgorithm})`,
    ),
    row(
      'under-admits',
      `${int(e.underAdmits)}  (denied by ${s.policy.algorithm}, allowed by ${e.exactAlgorithm})`,
    ),
    row('decisions that differ', `${int(differ)}  (${pct(differ, s.requests)} of requests)`),
    row(
      `peak in one ${s.policy.window} s window`,
      `${int(e.peakInWindow.chosen)} units (${e.exactAlgorithm}: ${int(e.peakInWindow.exact)}; limit ${int(s.policy.limit)})`,
    ),
    row('clients over the limit', `${int(e.clientsOverLimit)}  (in some ${s.policy.window} s window)`),
  ];
}

function topTable(s: ReplaySummary): string[] {
  if (s.topDenied.length === 0) return ['', 'no client was denied'];
  const header = ['rank', 'denied', 'allowed', 'requests'];
  const rows = s.topDenied.map((c) => [int(c.rank), int(c.denied), int(c.allowed), int(c.requests)]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => `  ${cells.map((c, i) => c.padStart(widths[i] ?? 0)).join('  ')}`;
  return [
    '',
    `most-denied clients (ids withheld; the logs hold real hosts)`,
    line(header),
    ...rows.map(line),
  ];
}

/** The human-readable summary. */
export function formatReport(s: ReplaySummary): string {
  const unit = s.latency.unit === 'us' ? 'µs' : 'ms';
  const digits = s.latency.unit === 'us' ? 1 : 2;
  const clock =
    s.mode === 'virtual'
      ? 'virtual time (ManualClock set to each request; same-second requests spread evenly)'
      : 'real time against the service';
  const lines = [
    `replay ${s.file}`,
    row(
      'trace',
      `${s.format}, ${int(s.trace.requests)} requests, ${int(s.trace.clients)} clients, ` +
        `${int(s.trace.skippedLines)} lines skipped`,
    ),
    row('span', `${s.trace.first} .. ${s.trace.last} (${int(s.trace.spanSeconds)} s)`),
    row(
      'policy',
      `${int(s.policy.limit)} per ${int(s.policy.window)} s, ${s.policy.algorithm}, cost ${s.cost}`,
    ),
    row('mode', clock),
    ...describeHttp(s),
    '',
    row('requests', int(s.requests) + (s.stoppedBy === null ? '' : `  (stopped by --${s.stoppedBy})`)),
    row('allowed', `${int(s.allowed)}  (${pct(s.allowed, s.requests)})`),
    row(
      'denied',
      `${int(s.denied)}  (${pct(s.denied, s.requests)}; limit_exceeded ${int(s.deniedBy.limit_exceeded)}, ` +
        `cost_exceeds_limit ${int(s.deniedBy.cost_exceeds_limit)}, no_limit ${int(s.deniedBy.no_limit)})`,
    ),
    row('errors', int(s.errors)),
    row('distinct clients', `${int(s.distinctClients)}  (denied at least once: ${int(s.clientsDenied)})`),
    row('wall time', `${s.wallSeconds.toFixed(2)} s  (${int(s.decisionsPerSecond)} decisions/s)`),
    row(
      'allow latency',
      `p50 ${s.latency.p50.toFixed(digits)} ${unit}, p99 ${s.latency.p99.toFixed(digits)} ${unit}`,
    ),
    ...topTable(s),
    ...describeExact(s),
  ];
  return `${lines.join('\n')}\n`;
}
