import { createRequire } from 'node:module';
import fc from 'fast-check';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { decodeRangeResponse, encodeRangeRequest } from '../../src/store/etcd/range-codec.js';

// the reference: protobufjs on the very .proto files etcd3 speaks with
const root = new protobuf.Root().loadSync(createRequire(import.meta.url).resolve('etcd3/proto/rpc.proto'), {
  keepCase: true,
});
const RangeRequest = root.lookupType('etcdserverpb.RangeRequest');
const RangeResponse = root.lookupType('etcdserverpb.RangeResponse');

const bytes = fc.uint8Array({ maxLength: 64 }).map((array) => Buffer.from(array));
const int64 = fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }).map((n) => n.toString());

describe('range codec', () => {
  it('encodes a RangeRequest that protobufjs reads back field for field', () => {
    fc.assert(
      fc.property(
        bytes,
        bytes,
        fc.nat({ max: 2 ** 40 }),
        fc.option(fc.integer({ min: 1, max: 2 ** 52 })),
        (key, rangeEnd, limit, revision) => {
          const encoded = encodeRangeRequest({
            key,
            rangeEnd,
            limit,
            ...(revision === null ? {} : { revision }),
          });
          const decoded = RangeRequest.toObject(RangeRequest.decode(encoded), {
            longs: Number,
            bytes: Buffer,
            defaults: true,
          });
          expect(Buffer.compare(decoded['key'] as Buffer, key)).toBe(0);
          expect(Buffer.compare(decoded['range_end'] as Buffer, rangeEnd)).toBe(0);
          expect(decoded['limit']).toBe(limit);
          expect(decoded['revision']).toBe(revision ?? 0);
        },
      ),
    );
  });

  it('decodes the revision, more, and every key and value of a RangeResponse, skipping all else', () => {
    const kv = fc.record({
      key: bytes,
      value: bytes,
      create_revision: int64,
      mod_revision: int64,
      version: int64,
      lease: int64,
    });
    fc.assert(
      fc.property(
        fc.array(kv, { maxLength: 20 }),
        fc.integer({ min: 0, max: 2 ** 53 - 1 }),
        fc.boolean(),
        int64,
        (kvs, revision, more, count) => {
          const message = RangeResponse.fromObject({
            header: { cluster_id: '18446744073709551615', member_id: '42', revision, raft_term: '7' },
            kvs,
            more,
            count,
          });
          const decoded = decodeRangeResponse(Buffer.from(RangeResponse.encode(message).finish()));
          expect(decoded.revision).toBe(revision);
          expect(decoded.more).toBe(more);
          expect(
            decoded.kvs.map((entry) => [entry.key.toString('hex'), entry.value.toString('hex')]),
          ).toEqual(kvs.map((entry) => [entry.key.toString('hex'), entry.value.toString('hex')]));
        },
      ),
    );
  });

  it('decodes an empty response', () => {
    expect(decodeRangeResponse(Buffer.alloc(0))).toEqual({ revision: 0, more: false, kvs: [] });
  });

  it('rejects a truncated response instead of reading past it', () => {
    const message = RangeResponse.fromObject({
      header: { revision: 5 },
      kvs: [{ key: Buffer.from('k'), value: Buffer.from('v') }],
    });
    const whole = Buffer.from(RangeResponse.encode(message).finish());
    expect(() => decodeRangeResponse(whole.subarray(0, whole.length - 1))).toThrow(/truncated/);
  });
});
