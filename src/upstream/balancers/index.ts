import type { HashOnConfig, UpstreamConfig } from '../schema.js';
import type { Balancer } from './balancer.js';
import { ConsistentHashBalancer } from './consistent-hash.js';
import { LeastRequestsBalancer } from './least-requests.js';
import { PowerOfTwoBalancer } from './power-of-two.js';
import { RoundRobinBalancer } from './round-robin.js';

export type { Balancer, Candidate, PickRequest } from './balancer.js';

/** Makes the balancer an upstream's config names. */
export function createBalancer(kind: UpstreamConfig['balancer'], hashOn?: HashOnConfig): Balancer {
  switch (kind) {
    case 'least-requests':
      return new LeastRequestsBalancer();
    case 'power-of-two':
      return new PowerOfTwoBalancer();
    case 'consistent-hash':
      return new ConsistentHashBalancer(hashOn?.virtualNodes ?? 160);
    default:
      return new RoundRobinBalancer();
  }
}
