/**
 * The etcd key layout (DESIGN §2) under a configurable root:
 *
 *   <root>/limits/<id>            a client's base limit
 *   <root>/defaults               the limit of clients with none of their own
 *   <root>/throttle/controller    the controller's multiplier (leased)
 *   <root>/throttle/override      the manual global multiplier
 *   <root>/overrides/<id>         a per-client override
 *   <root>/instances/<instance>   an instance's heartbeat (leased)
 *   <root>/controller/election/   the controller's leader election
 *
 * `<id>` is the client id percent-encoded with encodeURIComponent, so `/`, `%` and every non-ASCII
 * byte are escaped and an id can never reach outside its directory. Only that exact (canonical)
 * encoding is accepted back: `%2f`, `%41` or a raw space would give a second key for one id, so such
 * keys are reported as invalid instead of being guessed at.
 */
import { clientIdProblem } from '../../core/validate.js';

export const DEFAULT_ETCD_PREFIX = '/ratelimiter';

export type ParsedKey =
  | { readonly kind: 'limit'; readonly clientId: string }
  | { readonly kind: 'client-override'; readonly clientId: string }
  | { readonly kind: 'defaults' }
  | { readonly kind: 'controller-throttle' }
  | { readonly kind: 'manual-throttle' }
  | { readonly kind: 'instance'; readonly instanceId: string }
  /** under limits/ or overrides/, but the id part is not a canonical encoding */
  | { readonly kind: 'invalid-id'; readonly directory: 'limits' | 'overrides' }
  /** anything else under the root (the election, keys of a later version): not config */
  | { readonly kind: 'other' };

// the characters encodeURIComponent leaves as they are
const UNRESERVED = /^[A-Za-z0-9\-_.!~*'()]+$/;

/** The key segment of an id. The id must be well-formed UTF-16 (validated ids always are). */
export function encodeKeyId(id: string): string {
  return encodeURIComponent(id);
}

/**
 * The id of a key segment, or undefined when the segment is not exactly `encodeKeyId(id)` of a
 * valid client id (an id the API would refuse, with a control character or over 512 bytes, could
 * never be asked for: its key is reported as invalid rather than kept unused).
 */
export function decodeKeyId(segment: string): string | undefined {
  const id = canonicalId(segment);
  return id !== undefined && clientIdProblem(id) === undefined ? id : undefined;
}

function canonicalId(segment: string): string | undefined {
  if (UNRESERVED.test(segment)) return segment;
  if (segment.length === 0) return undefined;
  let id: string;
  try {
    id = decodeURIComponent(segment);
  } catch {
    return undefined;
  }
  return encodeURIComponent(id) === segment ? id : undefined;
}

/** The first key after every key that starts with `prefix` (etcd's range end for a prefix). */
export function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    const byte = end[i] ?? 0;
    if (byte < 0xff) {
      end[i] = byte + 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

/** Every key of one deployment, under `prefix` (trailing slashes ignored). */
export class EtcdKeys {
  /** the root without a trailing slash, e.g. `/ratelimiter` */
  readonly root: string;
  /** `<root>/`: every key of the deployment starts with it */
  readonly all: string;
  readonly limits: string;
  readonly overrides: string;
  readonly instances: string;
  readonly defaults: string;
  readonly controllerThrottle: string;
  readonly manualThrottle: string;
  readonly election: string;

  constructor(prefix: string = DEFAULT_ETCD_PREFIX) {
    const root = prefix.replace(/\/+$/, '');
    if (root.length === 0)
      throw new Error(`etcd prefix must not be empty or only slashes: ${JSON.stringify(prefix)}`);
    this.root = root;
    this.all = `${root}/`;
    this.limits = `${root}/limits/`;
    this.overrides = `${root}/overrides/`;
    this.instances = `${root}/instances/`;
    this.defaults = `${root}/defaults`;
    this.controllerThrottle = `${root}/throttle/controller`;
    this.manualThrottle = `${root}/throttle/override`;
    this.election = `${root}/controller/election/`;
  }

  limit(clientId: string): string {
    return this.limits + encodeKeyId(clientId);
  }

  override(clientId: string): string {
    return this.overrides + encodeKeyId(clientId);
  }

  instance(instanceId: string): string {
    return this.instances + encodeKeyId(instanceId);
  }

  /** What a key under the root means; keys outside the root are `other`. */
  parse(key: string): ParsedKey {
    if (key.startsWith(this.limits)) {
      const clientId = decodeKeyId(key.slice(this.limits.length));
      return clientId === undefined
        ? { kind: 'invalid-id', directory: 'limits' }
        : { kind: 'limit', clientId };
    }
    if (key.startsWith(this.overrides)) {
      const clientId = decodeKeyId(key.slice(this.overrides.length));
      return clientId === undefined
        ? { kind: 'invalid-id', directory: 'overrides' }
        : { kind: 'client-override', clientId };
    }
    if (key === this.defaults) return { kind: 'defaults' };
    if (key === this.controllerThrottle) return { kind: 'controller-throttle' };
    if (key === this.manualThrottle) return { kind: 'manual-throttle' };
    if (key.startsWith(this.instances)) {
      const instanceId = decodeKeyId(key.slice(this.instances.length));
      if (instanceId !== undefined) return { kind: 'instance', instanceId };
    }
    return { kind: 'other' };
  }
}
