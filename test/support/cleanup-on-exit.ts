import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

/**
 * Last-resort cleanup for the test harness: whatever a test file forgot to stop is SIGKILLed, and
 * whatever temp dir it forgot to remove is removed, when the test process exits. Normal cleanup is
 * each helper's stop() in afterAll; this only guarantees nothing outlives the run.
 */

const liveChildren = new Set<ChildProcess>();
const tempDirs = new Set<string>();
let installed = false;

function cleanUpNow(): void {
  for (const child of liveChildren) {
    child.kill('SIGKILL');
  }
  liveChildren.clear();
  for (const dir of tempDirs) {
    rmSync(dir, { recursive: true, force: true });
  }
  tempDirs.clear();
}

function install(): void {
  if (!installed) {
    installed = true;
    process.on('exit', cleanUpNow);
  }
}

/** SIGKILL `child` when this process exits, unless it has exited by then. */
export function killOnExit(child: ChildProcess): void {
  install();
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
}

/** Remove `dir` when this process exits, unless forgetDirOnExit(dir) was called first. */
export function removeDirOnExit(dir: string): void {
  install();
  tempDirs.add(dir);
}

export function forgetDirOnExit(dir: string): void {
  tempDirs.delete(dir);
}
