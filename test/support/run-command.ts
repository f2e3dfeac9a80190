import { execFile } from 'node:child_process';

export interface RunCommandOptions {
  readonly timeoutMs: number;
  /** Added to this process's environment. */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * Runs `command` (no shell) to completion and resolves with its stdout. Rejects when it exits
 * non-zero, cannot be spawned or runs past the timeout; the message carries its stdout and stderr.
 */
export function runCommand(
  command: string,
  args: readonly string[],
  options: RunCommandOptions,
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { env: { ...process.env, ...options.env }, timeout: options.timeoutMs, killSignal: 'SIGKILL' },
      (err, stdout, stderr) => {
        if (err === null) {
          resolve(stdout);
        } else {
          const output = [stdout, stderr].filter((s) => s.length > 0).join('\n');
          reject(new Error(`${command} ${args.join(' ')} failed: ${err.message}\n${output}`, { cause: err }));
        }
      },
    );
  });
}
