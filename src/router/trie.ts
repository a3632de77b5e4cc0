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
  /** By HTTP method (upper-case tokens: no key can reach Object.prototype). A plain object, not a Map: most leaves hold one method, and 10,000 Maps cost megabytes. */
  byMethod: Record<string, { value: T; names: string[] }>;
  any: { value: T; names: string[] } | undefined;
}

class TrieNode<T> {
  /** The first static child, kept out of a Map: most nodes have one (memory, docs/routing.md). */
  oneKey: string | undefined;
  one: TrieNode<T> | undefined;
  /** Further static children. */
  static: Map<string, TrieNode<T>> | undefined;
  param: TrieNode<T> | undefined;
  greedy: Leaf<T> | undefined;
  leaf: Leaf<T> | undefined;

  child(key: string): TrieNode<T> | undefined {
    return this.oneKey === key ? this.one : this.static?.get(key);
  }

  addChild(key: string): TrieNode<T> {
    const node = new TrieNode<T>();
    if (this.oneKey === undefined) {
      this.oneKey = key;
      this.one = node;
    } else (this.static ??= new Map()).set(key, node);
    return node;
  }
}

function newLeaf<T>(): Leaf<T> {
  return { byMethod: {}, any: undefined };
}

function pick<T>(leaf: Leaf<T> | undefined, method: string) {
  if (!leaf) return undefined;
  return leaf.byMethod[method] ?? (ANY_METHODS.has(method) ? leaf.any : undefined);
}

/** The methods ANY stands for. */
const ANY_METHODS = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT']);

/** decodeURIComponent, or the text as it is when it is not valid percent-encoding. */
export function decodeOrKeep(text: string): string {
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Static segments are compared decoded, so `/p%65ts` reaches `/pets`; parameter values stay encoded. */
export function staticKey(segment: string): string {
  return decodeOrKeep(segment);
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
        const k = staticKey(seg.value);
        node = node.child(k) ?? node.addChild(k);
      } else if (seg.kind === 'param') {
        names.push(seg.name);
        node = node.param ??= new TrieNode<T>();
      } else {
        names.push(seg.name);
        leaf = node.greedy ??= newLeaf<T>();
      }
    }
    leaf ??= node.leaf ??= newLeaf<T>();
    // slice(): no spare capacity from push in what every route keeps.
    return this.#put(leaf, key.method, { value, names: names.slice() });
  }

  #put(leaf: Leaf<T>, method: RouteMethod, entry: { value: T; names: string[] }): boolean {
    if (method === 'ANY') {
      if (leaf.any) return false;
      leaf.any = entry;
    } else {
      if (leaf.byMethod[method]) return false;
      leaf.byMethod[method] = entry;
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
    const child = node.child(staticKey(seg));
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
