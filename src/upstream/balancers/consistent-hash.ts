import { type Balancer, type Candidate, type PickRequest, usable } from './balancer.js';
import { RoundRobinBalancer } from './round-robin.js';

/** FNV-1a over UTF-16 code units, finished with murmur3's fmix32 for avalanche. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

interface Ring {
  signature: string;
  points: Uint32Array;
  /** Candidate id of each point. */
  owners: string[];
}

/**
 * Consistent hashing on a ring of virtual nodes (ketama): each candidate owns `virtualNodes ×
 * weight` points; a key goes to the owner of the first point at or after its hash. Adding or
 * removing one of N targets moves about 1/N of the keys. Excluded candidates are skipped by walking
 * on round the ring, so a retry lands on the key's next target. A request without a key falls back
 * to round-robin.
 */
export class ConsistentHashBalancer implements Balancer {
  readonly name = 'consistent-hash';
  #virtualNodes: number;
  #ring: Ring | undefined;
  #fallback = new RoundRobinBalancer();

  constructor(virtualNodes = 160) {
    this.#virtualNodes = virtualNodes;
  }

  pick(candidates: readonly Candidate[], req?: PickRequest): Candidate | undefined {
    const key = req?.hashKey;
    if (key === undefined || key === '') return this.#fallback.pick(candidates, req);
    const ring = this.#ringFor(candidates);
    const n = ring.points.length;
    if (n === 0) return undefined;
    const byId = new Map<string, Candidate>();
    for (const c of candidates) if (usable(c, req?.exclude)) byId.set(c.id, c);
    if (byId.size === 0) return undefined;
    const h = hash32(key);
    // First point >= h (binary search), wrapping around.
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((ring.points[mid] as number) < h) lo = mid + 1;
      else hi = mid;
    }
    for (let k = 0; k < n; k++) {
      const c = byId.get(ring.owners[(lo + k) % n] as string);
      if (c) return c;
    }
    return undefined;
  }

  #ringFor(candidates: readonly Candidate[]): Ring {
    let signature = '';
    for (const c of candidates) signature += `${c.id}\u0000${ringWeight(c.weight)}\u0001`;
    if (this.#ring?.signature === signature) return this.#ring;
    const entries: [number, string][] = [];
    for (const c of candidates) {
      const count = ringWeight(c.weight) * this.#virtualNodes;
      for (let i = 0; i < count; i++) entries.push([hash32(`${c.id}#${i}`), c.id]);
    }
    entries.sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
    this.#ring = { signature, points: Uint32Array.from(entries.map((e) => e[0])), owners: entries.map((e) => e[1]) };
    return this.#ring;
  }
}

/** Whole ring units per weight, so slow start's fractional weights rebuild the ring rarely. */
function ringWeight(w: number): number {
  return w <= 0 ? 0 : Math.max(1, Math.round(w));
}
