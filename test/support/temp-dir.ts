import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forgetDirOnExit, removeDirOnExit } from './cleanup-on-exit.js';

/** A fresh directory under the OS temp dir, removed at process exit if nobody removes it sooner. */
export async function makeTempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  removeDirOnExit(dir);
  return dir;
}

export async function removeTempDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  forgetDirOnExit(dir);
}
