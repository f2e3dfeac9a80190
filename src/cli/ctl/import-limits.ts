import { readFile } from 'node:fs/promises';
import { write, type CtlContext } from './ctl-context.js';
import { parseLimitLines, type LimitLine } from './limit-lines.js';
import { createProgressReporter } from './progress-reporter.js';
import { encodeStoredLimit } from './stored-limit.js';
import { CtlFailure } from './usage.js';

/** Puts per transaction: etcd's default --max-txn-ops. */
export const IMPORT_TXN_SIZE = 128;
/** transactions in flight at once */
const IMPORT_CONCURRENCY = 4;

/**
 * `limits import FILE`: validates every line first and, when any is bad, reports them all (with
 * line numbers) and writes nothing. Then writes the limits in etcd transactions of 128 puts, a few
 * in flight, with progress on stderr. Every put is idempotent, so after a failure (etcd went away)
 * running the same import again completes it.
 */
export async function importLimits(context: CtlContext, file: string): Promise<void> {
  const { io, keys, client } = context;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new CtlFailure(`cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const { entries, bad } = parseLimitLines(text);
  if (bad.length > 0) {
    await write(io.stderr, bad.map((b) => `${file}:${b.line}: ${b.problem}\n`).join(''));
    throw new CtlFailure(
      `${bad.length} bad line${bad.length === 1 ? '' : 's'} in ${file} (listed above); nothing was written`,
    );
  }

  const started = io.now();
  const batches: LimitLine[][] = [];
  for (let i = 0; i < entries.length; i += IMPORT_TXN_SIZE)
    batches.push(entries.slice(i, i + IMPORT_TXN_SIZE));
  const progress = createProgressReporter(io.stderr, entries.length, 'imported');
  let written = 0;
  let next = 0;
  let failure: Error | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < batches.length) {
      const batch = batches[next++] ?? [];
      try {
        await client.putAll(batch.map((e) => ({ key: keys.limit(e.id), value: encodeStoredLimit(e.limit) })));
      } catch (err) {
        failure ??= err instanceof Error ? err : new Error(String(err));
        return;
      }
      written += batch.length;
      progress.update(written);
    }
  };
  await Promise.all(Array.from({ length: Math.min(IMPORT_CONCURRENCY, batches.length) }, worker));
  progress.finish();
  if (failure !== undefined) {
    throw new CtlFailure(
      `${failure.message}\n` +
        `${written} of ${entries.length} limits were written before the failure, the others were not; ` +
        'every put is idempotent: run the same import again to complete it',
    );
  }
  const seconds = ((io.now() - started) / 1000).toFixed(1);
  await write(
    io.stdout,
    `imported ${written} limits from ${file} in ${batches.length} transactions (${seconds} s)\n`,
  );
}
