/**
 * `npm run ctl -- COMMAND`: the operator CLI over etcd (limits, import/export, multipliers,
 * overrides, defaults, status). See USAGE in ctl/usage.ts. Exit status: 0 done, 1 failed, 2 bad usage.
 */
import { runCtl } from './ctl/run-ctl.js';

runCtl(process.argv.slice(2), process.env, {
  stdout: process.stdout,
  stderr: process.stderr,
  now: () => Date.now(),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(
      `ratelimiter-ctl: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exitCode = 1;
  },
);
