import { assertNever } from '../assert-never.js';
import type { Algorithm, AlgorithmName } from '../types.js';
import { fixedWindow } from './fixed-window.js';
import { leakyBucket } from './leaky-bucket.js';
import { slidingLog } from './sliding-log.js';
import { slidingWindow } from './sliding-window.js';
import { tokenBucket } from './token-bucket.js';

export function getAlgorithm(name: AlgorithmName): Algorithm {
  switch (name) {
    case 'fixed-window':
      return fixedWindow;
    case 'sliding-window':
      return slidingWindow;
    case 'sliding-log':
      return slidingLog;
    case 'token-bucket':
      return tokenBucket;
    case 'leaky-bucket':
      return leakyBucket;
    default:
      return assertNever(name);
  }
}
