/**
 * A minimal protobuf codec for etcd's KV.Range, used only to list large prefixes.
 *
 * etcd3 decodes each KeyValue into an object and turns its four int64 fields into decimal strings;
 * at a million keys that was more than half of the time to list (11 s against 5 s for this codec,
 * same etcd, same pages). This reads only what a list needs: the header revision, `more`, and each
 * key and value, as views into the response buffer (no copies). Every other field is skipped by its
 * wire type, so fields added by later etcd versions are ignored safely.
 *
 * Field numbers (etcd api/etcdserverpb/rpc.proto, api/mvccpb/kv.proto):
 *   RangeRequest   key=1 bytes, range_end=2 bytes, limit=3 int64, revision=4 int64
 *   RangeResponse  header=1 ResponseHeader, kvs=2 repeated KeyValue, more=3 bool, count=4 int64
 *   ResponseHeader revision=3 int64
 *   KeyValue       key=1 bytes, value=5 bytes (create_revision=2, mod_revision=3, version=4, lease=6)
 */

export interface RangeRequestFields {
  readonly key: Buffer;
  readonly rangeEnd: Buffer;
  /** 0 = no limit */
  readonly limit: number;
  /** 0 or absent = the current revision */
  readonly revision?: number;
}

export interface RawKeyValue {
  readonly key: Buffer;
  readonly value: Buffer;
}

export interface RawRangeResponse {
  readonly revision: number;
  readonly more: boolean;
  readonly kvs: RawKeyValue[];
}

const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;
const EMPTY: Buffer = Buffer.alloc(0);

function pushVarint(out: number[], value: number): void {
  let rest = value;
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
}

export function encodeRangeRequest(request: RangeRequestFields): Buffer {
  const head: number[] = [(1 << 3) | LENGTH_DELIMITED];
  pushVarint(head, request.key.length);
  const middle: number[] = [(2 << 3) | LENGTH_DELIMITED];
  pushVarint(middle, request.rangeEnd.length);
  const tail: number[] = [];
  if (request.limit > 0) {
    tail.push((3 << 3) | VARINT);
    pushVarint(tail, request.limit);
  }
  if (request.revision !== undefined && request.revision > 0) {
    tail.push((4 << 3) | VARINT);
    pushVarint(tail, request.revision);
  }
  return Buffer.concat([
    Buffer.from(head),
    request.key,
    Buffer.from(middle),
    request.rangeEnd,
    Buffer.from(tail),
  ]);
}

/** A cursor over one protobuf message. Numbers beyond 2^53 lose precision (revisions never get there). */
class Reader {
  readonly #buffer: Buffer;
  #position: number;
  readonly #end: number;

  constructor(buffer: Buffer, start = 0, end = buffer.length) {
    this.#buffer = buffer;
    this.#position = start;
    this.#end = end;
  }

  get done(): boolean {
    return this.#position >= this.#end;
  }

  varint(): number {
    let result = 0;
    let scale = 1;
    for (;;) {
      if (this.#position >= this.#end) throw new Error('truncated varint in etcd range response');
      const byte = this.#buffer[this.#position++] ?? 0;
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) return result;
      scale *= 0x80;
    }
  }

  /** the bytes of a length-delimited field, as a view */
  bytes(): Buffer {
    const length = this.varint();
    const start = this.#position;
    this.#position += length;
    if (this.#position > this.#end) throw new Error('truncated field in etcd range response');
    return this.#buffer.subarray(start, this.#position);
  }

  /** a reader over a nested message */
  message(): Reader {
    const length = this.varint();
    const start = this.#position;
    this.#position += length;
    if (this.#position > this.#end) throw new Error('truncated message in etcd range response');
    return new Reader(this.#buffer, start, this.#position);
  }

  skip(wireType: number): void {
    switch (wireType) {
      case VARINT:
        this.varint();
        return;
      case FIXED64:
        this.#position += 8;
        return;
      case LENGTH_DELIMITED:
        this.#position += this.varint();
        return;
      case FIXED32:
        this.#position += 4;
        return;
      default:
        throw new Error(`unsupported protobuf wire type ${wireType} in etcd range response`);
    }
  }
}

function readKeyValue(reader: Reader): RawKeyValue {
  let key = EMPTY;
  let value = EMPTY;
  while (!reader.done) {
    const tag = reader.varint();
    const field = tag >>> 3;
    const wireType = tag & 7;
    if (field === 1 && wireType === LENGTH_DELIMITED) key = reader.bytes();
    else if (field === 5 && wireType === LENGTH_DELIMITED) value = reader.bytes();
    else reader.skip(wireType);
  }
  return { key, value };
}

function readHeaderRevision(reader: Reader): number {
  let revision = 0;
  while (!reader.done) {
    const tag = reader.varint();
    if (tag === ((3 << 3) | VARINT)) revision = reader.varint();
    else reader.skip(tag & 7);
  }
  return revision;
}

export function decodeRangeResponse(buffer: Buffer): RawRangeResponse {
  const reader = new Reader(buffer);
  const kvs: RawKeyValue[] = [];
  let revision = 0;
  let more = false;
  while (!reader.done) {
    const tag = reader.varint();
    const field = tag >>> 3;
    const wireType = tag & 7;
    if (field === 1 && wireType === LENGTH_DELIMITED) revision = readHeaderRevision(reader.message());
    else if (field === 2 && wireType === LENGTH_DELIMITED) kvs.push(readKeyValue(reader.message()));
    else if (field === 3 && wireType === VARINT) more = reader.varint() !== 0;
    else reader.skip(wireType);
  }
  return { revision, more, kvs };
}
