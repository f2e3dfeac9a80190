import { pino } from 'pino';
import { EtcdClient } from '../../store/etcd/etcd-client.js';
import { EtcdKeys } from '../../store/etcd/keys.js';
import type { CtlOptions } from './parse-args.js';

/** Where a command writes, and its clock (injected so the commands can be driven in-process). */
export interface CtlIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream & { readonly isTTY?: boolean; readonly columns?: number };
  /** wall clock, ms */
  readonly now: () => number;
}

/** What every command works with. */
export interface CtlContext {
  readonly client: EtcdClient;
  readonly keys: EtcdKeys;
  readonly options: CtlOptions;
  readonly io: CtlIo;
}

/** Connects to etcd for one command, runs it, and closes the connection whatever happens. */
export async function withEtcd<T>(
  options: CtlOptions,
  io: CtlIo,
  run: (context: CtlContext) => Promise<T>,
): Promise<T> {
  const client = new EtcdClient({
    endpoints: options.endpoints,
    // the commands report failures themselves, with what was and was not written
    logger: pino({ level: 'silent' }),
    writeDeadlineMs: options.timeoutMs,
    readDeadlineMs: options.timeoutMs,
  });
  try {
    return await run({ client, keys: new EtcdKeys(options.prefix), options, io });
  } finally {
    await client.close();
  }
}

/** Writes `text` and resolves once the stream has taken it (respects backpressure). */
export function write(stream: NodeJS.WritableStream, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(text, (err) => (err === null || err === undefined ? resolve() : reject(err)));
  });
}
