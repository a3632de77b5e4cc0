import { staticKey } from './trie.js';

/**
 * Where each API stage is mounted: host names plus a path prefix (base path, then the stage name
 * unless the stage is $default). A request goes to the deepest prefix on its host; mounts without
 * hosts serve any host and are tried after host-specific ones, so `/production/...` reaches the REST
 * API's production stage while `/api/books` falls to an HTTP API's $default stage on the same listener.
 */

interface PrefixNode<T> {
  children: Map<string, PrefixNode<T>>;
  value: T | undefined;
}

interface HostGroup<T> {
  root: PrefixNode<T>;
  values: T[];
}

export interface MountMatch<T> {
  value: T;
  /** The path after the mount prefix, starting with "/". */
  rest: string;
}

function newNode<T>(): PrefixNode<T> {
  return { children: new Map(), value: undefined };
}

export class MountTable<T> {
  #exact = new Map<string, HostGroup<T>>();
  #wildcard: [suffix: string, group: HostGroup<T>][] = [];
  #any: HostGroup<T> | undefined;
  /** Hosts ('a.example.com' or '*.example.com') that serve only their own mounts: custom domains. */
  #closed = new Set<string>();

  /**
   * Makes a host (or '*.suffix') serve only what is mounted for it, as an API Gateway custom domain
   * serves only its base path mappings: no fall-through to wildcard or any-host mounts.
   */
  close(host: string): void {
    this.#closed.add(host.toLowerCase());
  }

  /** Adds a mount; returns the value already mounted at the same host and prefix, if any. */
  add(hosts: readonly string[], prefix: readonly string[], value: T): T | undefined {
    for (const group of this.#groupsFor(hosts)) {
      let node = group.root;
      for (const seg of prefix) {
        const k = staticKey(seg);
        let next = node.children.get(k);
        if (!next) {
          next = newNode<T>();
          node.children.set(k, next);
        }
        node = next;
      }
      if (node.value !== undefined) return node.value;
      node.value = value;
      group.values.push(value);
    }
    return undefined;
  }

  #groupsFor(hosts: readonly string[]): HostGroup<T>[] {
    const make = (): HostGroup<T> => ({ root: newNode<T>(), values: [] });
    if (hosts.length === 0) {
      this.#any ??= make();
      return [this.#any];
    }
    return hosts.map((h) => {
      const host = h.toLowerCase();
      if (host.startsWith('*.')) {
        const suffix = host.slice(1);
        let entry = this.#wildcard.find(([s]) => s === suffix);
        if (!entry) {
          entry = [suffix, make()];
          this.#wildcard.push(entry);
        }
        return entry[1];
      }
      let g = this.#exact.get(host);
      if (!g) {
        g = make();
        this.#exact.set(host, g);
      }
      return g;
    });
  }

  /** `host` is lower-case without port. */
  find(host: string, path: string): MountMatch<T> | undefined {
    const exact = this.#exact.get(host);
    if (exact) {
      const m = findIn(exact.root, path);
      if (m) return m;
    }
    if (this.#closed.has(host)) return undefined;
    for (const [suffix, group] of this.#wildcard) {
      if (host.endsWith(suffix) && host.length > suffix.length) {
        const m = findIn(group.root, path);
        if (m) return m;
        if (this.#closed.has(`*${suffix}`)) return undefined;
      }
    }
    return this.#any ? findIn(this.#any.root, path) : undefined;
  }

  /** Values mounted for a host, used to choose the not-found response when nothing matched. */
  candidates(host: string): T[] {
    const out: T[] = [...(this.#exact.get(host)?.values ?? [])];
    if (this.#closed.has(host)) return out;
    for (const [suffix, group] of this.#wildcard) {
      if (!host.endsWith(suffix)) continue;
      out.push(...group.values);
      if (this.#closed.has(`*${suffix}`)) return out;
    }
    if (this.#any) out.push(...this.#any.values);
    return out;
  }
}

function findIn<T>(root: PrefixNode<T>, path: string): MountMatch<T> | undefined {
  let node = root;
  let best: MountMatch<T> | undefined = root.value !== undefined ? { value: root.value, rest: path } : undefined;
  let start = 1;
  while (start <= path.length) {
    let end = path.indexOf('/', start);
    if (end === -1) end = path.length;
    const seg = path.slice(start, end);
    const next = seg ? node.children.get(staticKey(seg)) : undefined;
    if (!next) break;
    node = next;
    if (node.value !== undefined) best = { value: node.value, rest: end < path.length ? path.slice(end) : '/' };
    start = end + 1;
  }
  return best;
}
