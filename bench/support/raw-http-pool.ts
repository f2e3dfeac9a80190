import { connect, type Socket } from 'node:net';

const HEADER_END = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = /\r\ncontent-length: *(\d+)/i;
const STATUS = /^HTTP\/1\.1 (\d{3})/;

interface ConnectionEvents {
  /** the connection finished a request and can take the next */
  readonly idle: (connection: Connection) => void;
  /** the connection failed or was closed and takes no more requests */
  readonly dead: (connection: Connection) => void;
}

interface Pending {
  readonly payload: string;
  readonly resolve: (body: string) => void;
  readonly reject: (err: Error) => void;
}

/** One keep-alive HTTP/1.1 connection carrying one request at a time. */
class Connection {
  readonly #socket: Socket;
  readonly #head: string;
  readonly #events: ConnectionEvents;
  #buffer: Buffer = Buffer.alloc(0);
  #current: Pending | undefined;
  #dead = false;

  constructor(socket: Socket, port: number, path: string, events: ConnectionEvents) {
    this.#socket = socket;
    this.#events = events;
    this.#head = `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: `;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (err) => this.#fail(err));
    socket.on('close', () => this.#fail(new Error('connection closed by the server')));
  }

  send(pending: Pending): void {
    this.#current = pending;
    this.#socket.write(`${this.#head}${Buffer.byteLength(pending.payload)}\r\n\r\n${pending.payload}`);
  }

  close(): void {
    this.#dead = true;
    this.#socket.destroy();
  }

  #onData(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    const headerEnd = this.#buffer.indexOf(HEADER_END);
    if (headerEnd < 0) return;
    const head = this.#buffer.toString('latin1', 0, headerEnd);
    const length = Number(CONTENT_LENGTH.exec(head)?.[1] ?? Number.NaN);
    if (!Number.isInteger(length)) {
      this.#fail(new Error(`response without Content-Length: ${head.slice(0, 200)}`));
      return;
    }
    const end = headerEnd + HEADER_END.length + length;
    if (this.#buffer.length < end) return;
    const body = this.#buffer.toString('utf8', headerEnd + HEADER_END.length, end);
    this.#buffer = this.#buffer.subarray(end);
    const status = Number(STATUS.exec(head)?.[1] ?? 0);
    const current = this.#current;
    this.#current = undefined;
    if (status >= 200 && status < 300) current?.resolve(body);
    else current?.reject(new Error(`HTTP ${status}: ${body.slice(0, 200)}`));
    this.#events.idle(this);
  }

  #fail(err: Error): void {
    const current = this.#current;
    this.#current = undefined;
    current?.reject(err);
    if (!this.#dead) {
      this.#dead = true;
      this.#socket.destroy();
      this.#events.dead(this);
    }
  }
}

/**
 * A minimal HTTP/1.1 load client: `connections` keep-alive sockets to 127.0.0.1, one request in
 * flight per socket, requests beyond that wait in FIFO order for the next free one. Much cheaper
 * per request than node's http client (prebuilt request head, Content-Length framing only), so on
 * a 2-core machine more of the CPU goes to the server being measured. JSON POSTs only.
 */
export class RawHttpPool {
  readonly #idle: Connection[] = [];
  readonly #live = new Set<Connection>();
  readonly #queue: Pending[] = [];

  private constructor(port: number, path: string, sockets: readonly Socket[]) {
    const events: ConnectionEvents = { idle: (c) => this.#next(c), dead: (c) => this.#drop(c) };
    for (const socket of sockets) {
      const connection = new Connection(socket, port, path, events);
      this.#live.add(connection);
      this.#idle.push(connection);
    }
  }

  static async open(port: number, path: string, connections: number): Promise<RawHttpPool> {
    const sockets = await Promise.all(
      Array.from(
        { length: connections },
        () =>
          new Promise<Socket>((resolve, reject) => {
            const socket = connect({ host: '127.0.0.1', port }, () => resolve(socket));
            socket.once('error', reject);
          }),
      ),
    );
    return new RawHttpPool(port, path, sockets);
  }

  /** POSTs `payload`; resolves with the body of a 2xx answer, rejects on anything else. */
  post(payload: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const pending = { payload, resolve, reject };
      if (this.#live.size === 0) {
        reject(new Error('every connection of the pool has failed'));
        return;
      }
      const idle = this.#idle.pop();
      if (idle === undefined) this.#queue.push(pending);
      else idle.send(pending);
    });
  }

  close(): void {
    for (const connection of this.#live) connection.close();
    this.#live.clear();
  }

  #next(connection: Connection): void {
    const waiting = this.#queue.shift();
    if (waiting === undefined) this.#idle.push(connection);
    else connection.send(waiting);
  }

  #drop(connection: Connection): void {
    this.#live.delete(connection);
    const at = this.#idle.indexOf(connection);
    if (at >= 0) this.#idle.splice(at, 1);
    if (this.#live.size === 0) {
      for (const waiting of this.#queue.splice(0))
        waiting.reject(new Error('every connection of the pool has failed'));
    }
  }
}
