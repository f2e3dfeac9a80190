import type { EtcdClient } from '../../store/etcd/etcd-client.js';
import { prefixEnd } from '../../store/etcd/keys.js';
import type { RawKeyValue } from '../../store/etcd/range-codec.js';

/** Keys per page; large pages because etcd 3.4 walks its index from each page's start (see etcd-config-store.ts). */
export const LIST_PAGE_SIZE = 50_000;
const ZERO_BYTE = Buffer.from([0]);

/**
 * Reads every key under `prefix` in pages, all at the revision of the first page (one consistent
 * snapshot), in key order, handing each page to `onPage` before asking for the next. The key and
 * value buffers are only valid during the call. Resolves with the revision read and the key count.
 */
export async function listPrefix(
  client: EtcdClient,
  prefix: string,
  onPage: (kvs: readonly RawKeyValue[]) => Promise<void> | void,
  pageSize = LIST_PAGE_SIZE,
): Promise<{ readonly revision: number; readonly count: number }> {
  const start = Buffer.from(prefix);
  const end = prefixEnd(start);
  let page = await client.rangePage(start, end, pageSize);
  const revision = page.revision;
  let count = 0;
  for (;;) {
    count += page.kvs.length;
    await onPage(page.kvs);
    const last = page.kvs[page.kvs.length - 1];
    if (!page.more || last === undefined) return { revision, count };
    page = await client.rangePage(Buffer.concat([last.key, ZERO_BYTE]), end, pageSize, revision);
  }
}
