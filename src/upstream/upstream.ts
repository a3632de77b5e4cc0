import type { UpstreamConfig } from '../config/schema.js';

export interface Target {
  readonly url: string;
  readonly origin: string;
  /** Path prefix of the target URL without trailing slash ("" for none). */
  readonly basePath: string;
  readonly weight: number;
}

/** A named pool of targets, balanced by smooth weighted round-robin (nginx). */
export class Upstream {
  readonly name: string;
  readonly targets: readonly Target[];
  #current: number[];
  #total: number;

  constructor(name: string, config: UpstreamConfig) {
    this.name = name;
    this.targets = config.targets.map((t) => {
      const u = new URL(t.url);
      return { url: t.url, origin: u.origin, basePath: u.pathname.replace(/\/+$/, ''), weight: t.weight };
    });
    this.#current = this.targets.map(() => 0);
    this.#total = this.targets.reduce((s, t) => s + t.weight, 0);
  }

  pick(): Target | undefined {
    if (this.#total === 0) return undefined;
    let best = -1;
    for (let i = 0; i < this.targets.length; i++) {
      const w = (this.targets[i] as Target).weight;
      if (w === 0) continue;
      this.#current[i] = (this.#current[i] as number) + w;
      if (best === -1 || (this.#current[i] as number) > (this.#current[best] as number)) best = i;
    }
    this.#current[best] = (this.#current[best] as number) - this.#total;
    return this.targets[best];
  }
}
