import { ProgressBar } from '../replay/progress-bar.js';

/** Progress of a long write, on stderr. */
export interface ProgressReporter {
  update(done: number): void;
  finish(): void;
}

export interface ProgressStream {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(chunk: string): boolean;
}

/** a plain line at least this often while work goes on... */
const PLAIN_LINE_INTERVAL_MS = 5_000;
/** ...and at every tenth of the way */
const PLAIN_LINE_STEPS = 10;

/**
 * A bar redrawn in place when `stream` is a terminal; otherwise (a pipe, a file, CI logs) plain
 * lines `imported 10000/100000 (10%)` at every tenth of the way and every 5 s, so logs stay
 * readable and without control characters.
 */
export function createProgressReporter(
  stream: ProgressStream,
  total: number,
  verb: string,
  now: () => number = () => performance.now(),
): ProgressReporter {
  if (stream.isTTY === true) {
    const bar = new ProgressBar(stream, total);
    return { update: (done) => bar.update(done), finish: () => bar.finish() };
  }
  let lastStep = 0;
  let lastLineAt = now();
  return {
    update(done) {
      const step = total > 0 ? Math.floor((done * PLAIN_LINE_STEPS) / total) : PLAIN_LINE_STEPS;
      const at = now();
      if (step <= lastStep && at - lastLineAt < PLAIN_LINE_INTERVAL_MS) return;
      lastStep = Math.max(lastStep, step);
      lastLineAt = at;
      const percent = total > 0 ? Math.floor((done * 100) / total) : 100;
      stream.write(`${verb} ${done}/${total} (${percent}%)\n`);
    },
    finish() {
      // the summary line follows; nothing to erase
    },
  };
}
