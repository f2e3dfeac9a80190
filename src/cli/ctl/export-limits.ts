import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import { write, type CtlContext } from './ctl-context.js';
import { describeProblems } from './describe-problems.js';
import { listPrefix } from './list-prefix.js';
import { encodeLimitLine, parseStoredLimit } from './stored-limit.js';
import { CtlFailure } from './usage.js';

/**
 * `limits export [FILE]`: every limit as JSON lines, in key order, from one consistent snapshot
 * (every page is read at the first page's revision). An entry the service would ignore (invalid
 * value, badly encoded id) is reported on stderr and left out; then the export still completes but
 * fails (exit 1), so a partial export is never mistaken for a full one.
 */
export async function exportLimits(context: CtlContext, file: string | undefined): Promise<void> {
  const { keys, io } = context;
  const out = file === undefined ? io.stdout : createWriteStream(file, { flags: 'w' });
  let exported = 0;
  let skipped = 0;
  let result;
  try {
    result = await listPrefix(context.client, keys.limits, async (kvs) => {
      let chunk = '';
      for (const kv of kvs) {
        const key = kv.key.toString();
        const parsedKey = keys.parse(key);
        const value = kv.value.toString();
        const parsed = parseStoredLimit(value);
        if (parsedKey.kind !== 'limit' || !parsed.ok) {
          skipped++;
          const why =
            parsedKey.kind !== 'limit'
              ? 'the id is not percent-encoded with encodeURIComponent'
              : describeProblems(parsed.ok ? [] : parsed.problems);
          await write(io.stderr, `skipped ${key}: ${why}: ${value.slice(0, 200)}\n`);
          continue;
        }
        chunk += `${encodeLimitLine(parsedKey.clientId, parsed.value)}\n`;
        exported++;
      }
      if (chunk.length > 0) await write(out, chunk);
    });
  } finally {
    if (out !== io.stdout) {
      out.end();
      await finished(out);
    }
  }
  const where = file === undefined ? '' : ` to ${file}`;
  await write(io.stderr, `exported ${exported} limits${where} at etcd revision ${result.revision}\n`);
  if (skipped > 0) {
    throw new CtlFailure(`${skipped} invalid entries were left out (listed above); the export is incomplete`);
  }
}
