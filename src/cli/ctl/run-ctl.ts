import { assertNever } from '../../core/assert-never.js';
import { ControlPlaneUnavailableError } from '../../errors.js';
import { withEtcd, write, type CtlContext, type CtlIo } from './ctl-context.js';
import { clearDefaults, getDefaults, setDefaults } from './defaults.js';
import { exportLimits } from './export-limits.js';
import { importLimits } from './import-limits.js';
import { deleteLimit, getLimit, setLimit } from './limits.js';
import { deleteOverride, setOverride } from './overrides.js';
import { parseCtlArgs, type CtlCommand } from './parse-args.js';
import { showStatus } from './status.js';
import { clearThrottle, getThrottle, setThrottle } from './throttle.js';
import { CtlFailure, USAGE, UsageError } from './usage.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

function execute(context: CtlContext, command: Exclude<CtlCommand, { kind: 'help' }>): Promise<void> {
  switch (command.kind) {
    case 'limits-get':
      return getLimit(context, command.id);
    case 'limits-set':
      return setLimit(context, command.id, command.limit);
    case 'limits-delete':
      return deleteLimit(context, command.id);
    case 'limits-export':
      return exportLimits(context, command.file);
    case 'limits-import':
      return importLimits(context, command.file);
    case 'throttle-get':
      return getThrottle(context);
    case 'throttle-set':
      return setThrottle(context, command.multiplier, command.reason, command.ttlSeconds);
    case 'throttle-clear':
      return clearThrottle(context);
    case 'overrides-set':
      return setOverride(context, command.id, command.override);
    case 'overrides-delete':
      return deleteOverride(context, command.id);
    case 'defaults-get':
      return getDefaults(context);
    case 'defaults-set':
      return setDefaults(context, command.limit);
    case 'defaults-clear':
      return clearDefaults(context);
    case 'status':
      return showStatus(context);
    default:
      return assertNever(command);
  }
}

/** Runs one command line; resolves with the exit status (0 ok, 1 failed, 2 bad usage). */
export async function runCtl(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  io: CtlIo,
): Promise<number> {
  let parsed;
  try {
    parsed = parseCtlArgs(argv, env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    await write(
      io.stderr,
      `${err.problems.map((p) => `ratelimiter-ctl: ${p}\n`).join('')}(run with --help for usage)\n`,
    );
    return EXIT_USAGE;
  }
  const { command, options } = parsed;
  if (command.kind === 'help') {
    await write(io.stdout, `${USAGE}\n`);
    return EXIT_OK;
  }
  try {
    await withEtcd(options, io, (context) => execute(context, command));
    return EXIT_OK;
  } catch (err) {
    if (err instanceof CtlFailure || err instanceof ControlPlaneUnavailableError) {
      await write(io.stderr, `ratelimiter-ctl: ${err.message}\n`);
      return EXIT_FAILURE;
    }
    throw err;
  }
}
