/** Who a library-bench subject is, for the ratio tables. */
export type SubjectFamily = 'ours' | 'rate-limiter-flexible' | 'plain-lua';

/** One way of making a rate-limit decision against the bench Redis. */
export interface Subject {
  readonly name: string;
  readonly family: SubjectFamily;
  /** one decision for `clientId`: true allowed, false denied; rejects on an error */
  call(clientId: string): Promise<boolean>;
  close(): Promise<void>;
}
