import type { RouteKey, RouteMethod } from './route-key.js';

/**
 * A segment trie with AWS precedence: at each level a static child beats `{param}`, which beats
 * `{proxy+}`; when a more specific branch has no route for the method, matching backtracks to the
 * next one (`/proxy/bar/x` → `/proxy/bar/{param}` → `/proxy/{proxy+}`). An explicit method beats ANY;
 * HEAD does not fall back to GET. Lookup cost is one Map probe per segment, whatever the route count.
 */

export interface RouteMatch<T> {
  value: T;
  /** Parameter values as received (still URL-encoded), in route order. */
  params: Record<string, string>;
}

interface Leaf<T> {
  byMethod: Map<string, { value: T; names: string[] }>;
  any: { value: T; names: string[] } | undefined;
}

class TrieNode<T> {
  static: Map<string, TrieNode<T>> | undefined;
  param: TrieNode<T> | undefined;
  greedy: Leaf<T> | undefined;
  leaf: Leaf<T> | undefined;
}

function newLeaf<T>(): Leaf<T> {
  return { byMethod: new Map(), any: undefined };
}

function pick<T>(leaf: Leaf<T> | undefined, method: string) {
  if (!leaf) return undefined;
  return leaf.byMethod.get(method) ?? (ANY_METHODS.has(method) ? leaf.any : undefined);
}

/** The methods ANY stands for. */
const ANY_METHODS = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT']);

/** Static segments are compared decoded, so `/p%65ts` reaches `/pets`; parameter values stay encoded. */
export function staticKey(segment: string): string {
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

export class RouteTrie<T> {
  #root = new TrieNode<T>();
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** Adds a route; returns false if the same method and path shape is already taken. */
  add(key: RouteKey, value: T): boolean {
    let node = this.#root;
    const names: string[] = [];
    let leaf: Leaf<T> | undefined;
    for (const seg of key.segments) {
      if (seg.kind === 'static') {
        node.static ??= new Map();
        const k = staticKey(seg.value);
        let next = node.static.get(k);
        if (!next) {
          next = new TrieNode<T>();
          node.static.set(k, next);
        }
        node = next;
      } else if (seg.kind === 'param') {
        names.push(seg.name);
        node = node.param ??= new TrieNode<T>();
      } else {
        names.push(seg.name);
        leaf = node.greedy ??= newLeaf<T>();
      }
    }
    leaf ??= node.leaf ??= newLeaf<T>();
    return this.#put(leaf, key.method, { value, names });
  }

  #put(leaf: Leaf<T>, method: RouteMethod, entry: { value: T; names: string[] }): boolean {
    if (method === 'ANY') {
      if (leaf.any) return false;
      leaf.any = entry;
    } else {
      if (leaf.byMethod.has(method)) return false;
      leaf.byMethod.set(method, entry);
    }
    this.#size++;
    return true;
  }

  /**
   * Matches a path (starting with "/", no query). A trailing slash is ignored, as on AWS.
   */
  match(method: string, path: string): RouteMatch<T> | undefined {
    let p = path;
    if (p.length > 1 && p.charCodeAt(p.length - 1) === 47 /* / */) p = p.slice(0, -1);
    const segments = p === '/' || p === '' ? [] : p.slice(1).split('/');
    const values: string[] = [];
    const found = this.#walk(this.#root, segments, 0, method, values);
    if (!found) return undefined;
    const params: Record<string, string> = {};
    for (let i = 0; i < found.names.length; i++) params[found.names[i] as string] = values[i] as string;
    return { value: found.value, params };
  }

  #walk(
    node: TrieNode<T>,
    segs: string[],
    i: number,
    method: string,
    values: string[],
  ): { value: T; names: string[] } | undefined {
    if (i === segs.length) return pick(node.leaf, method);
    const seg = segs[i] as string;
    const child = node.static?.get(staticKey(seg));
    if (child) {
      const r = this.#walk(child, segs, i + 1, method, values);
      if (r) return r;
    }
    if (node.param && seg !== '') {
      values.push(seg);
      const r = this.#walk(node.param, segs, i + 1, method, values);
      if (r) return r;
      values.pop();
    }
    // A greedy value is never empty (`/files//` is not `/files/{proxy+}`); `//` inside one is kept, as AWS does.
    if (node.greedy && (seg !== '' || i < segs.length - 1)) {
      const r = pick(node.greedy, method);
      if (r) {
        values.push(i === segs.length - 1 ? seg : segs.slice(i).join('/'));
        return r;
      }
    }
    return undefined;
  }
}
