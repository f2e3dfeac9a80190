/**
 * `npm run replay -- FILE [options]`: replays a real access log through the rate limiter.
 * See USAGE in replay/options.ts. Exit status: 0 done, 1 failed (or some calls failed), 2 bad
 * arguments or unreadable input.
 */
import { loadTrace, TraceFormatError } from './replay/load-trace.js';
import { parseReplayArgs, UsageError, USAGE } from './replay/options.js';
import { ProgressBar } from './replay/progress-bar.js';
import { formatReport } from './replay/report.js';
import { runReplay } from './replay/run-replay.js';
import { ServiceError } from './replay/service-client.js';

function isFileError(err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string';
}

async function main(argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseReplayArgs(argv, process.env.RL_ADMIN_TOKEN);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`replay: ${err.problems.join('\nreplay: ')}\n(run with --help for usage)\n`);
    return 2;
  }
  if (parsed.kind === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const { options } = parsed;

  let trace;
  try {
    trace = await loadTrace(options.file, { format: options.format, cost: options.cost });
  } catch (err) {
    if (err instanceof TraceFormatError) process.stderr.write(`replay: ${err.message}\n`);
    else if (isFileError(err)) process.stderr.write(`replay: cannot read ${options.file}: ${err.message}\n`);
    else throw err;
    return 2;
  }

  const total = Math.min(trace.requests.length, options.maxRequests ?? trace.requests.length);
  const bar = process.stderr.isTTY ? new ProgressBar(process.stderr, total) : undefined;
  let summary;
  try {
    summary = await runReplay(options, trace, bar === undefined ? undefined : (sent) => bar.update(sent));
  } catch (err) {
    if (!(err instanceof ServiceError)) throw err;
    process.stderr.write(`replay: ${err.message}\n`);
    return 1;
  } finally {
    bar?.finish();
  }
  process.stdout.write(options.json ? `${JSON.stringify(summary, null, 2)}\n` : formatReport(summary));
  // the summary is printed either way, but a run with failed calls is not a clean result
  return summary.errors > 0 ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`replay: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
