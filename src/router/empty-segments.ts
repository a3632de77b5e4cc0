import type { MountMatch, MountTable } from './mounts.js';
import type { RouteMatch, RouteTrie } from './trie.js';

/**
 * Paths with empty segments (`//`) for APIs with `emptySegments: aws` (docs/routing.md#empty-segments),
 * as AWS REST APIs serve them (LocalStack's AWS-validated test_lambda_aws_proxy_integration, recorded
 * 2024-08-02): slashes before the stage and between the stage and the path are read as one
 * (`//stage/x` and `/stage//x` reach resource `/x`, event `path` `/x`), and a greedy value keeps the
 * `//` inside it (`/stage/a//b` → `{proxy+}` = `a//b`).
 *
 * Security (docs/security.md#path-canonicalisation): the route is always matched on the path with
 * every run of slashes merged, which is how the most liberal upstream reads what it is sent; the
 * path forwarded keeps inner `//` only where AWS keeps it. So the route whose policies run is the
 * route the upstream serves, in this mode as in the strict one.
 */

export type EmptySegmentsMode = 'reject' | 'aws';

/** Every run of slashes as one slash. */
export function mergeSlashes(path: string): string {
  return path.replace(/\/{2,}/g, '/');
}

/** Leading slashes as one: `//stage/x` → `/stage/x`. */
export function collapseLeading(path: string): string {
  let i = 0;
  while (i < path.length && path.charCodeAt(i) === 47) i++;
  return i <= 1 ? path : path.slice(i - 1);
}

/** Non-empty segments of a path. */
function segmentCount(path: string): number {
  let n = 0;
  let inSeg = false;
  for (let i = 0; i < path.length; i++) {
    const slash = path.charCodeAt(i) === 47;
    if (!slash && !inSeg) n++;
    inSeg = !slash;
  }
  return n;
}

/** What follows the first `n` non-empty segments of `path`, from the slash after them ('/' when nothing does). */
function afterSegments(path: string, n: number): string {
  let seen = 0;
  let i = 0;
  while (seen < n && i < path.length) {
    while (i < path.length && path.charCodeAt(i) === 47) i++;
    while (i < path.length && path.charCodeAt(i) !== 47) i++;
    seen++;
  }
  return i < path.length ? path.slice(i) : '/';
}

export interface AwsMount<T> {
  match: MountMatch<T>;
  /** The request path as AWS's `$context.path` shows it: slashes before the first segment read as one. */
  rawPath: string;
}

/**
 * The mount for a path with empty segments: found on the merged path; its `rest` is what follows the
 * mount's segments in the path as sent, with the slashes before its first segment read as one.
 */
export function findMountMerged<T>(mounts: MountTable<T>, host: string, rawPath: string): AwsMount<T> | undefined {
  const merged = mergeSlashes(rawPath);
  const m = mounts.find(host, merged);
  if (!m) return undefined;
  const prefixSegments = segmentCount(merged) - segmentCount(m.rest);
  return {
    match: { value: m.value, rest: collapseLeading(afterSegments(rawPath, prefixSegments)) },
    rawPath: collapseLeading(rawPath),
  };
}

/**
 * Route match on the merged path; the greedy parameter (named by `greedyOf`) then takes its value from
 * the path as sent, `//` inside it kept, slashes at its ends dropped.
 */
export function matchMerged<T>(
  trie: RouteTrie<T>,
  method: string,
  rest: string,
  greedyOf: (value: T) => string | undefined,
): RouteMatch<T> | undefined {
  const merged = mergeSlashes(rest);
  const m = trie.match(method, merged);
  if (!m || merged === rest) return m;
  const name = greedyOf(m.value);
  const value = name === undefined ? undefined : m.params[name];
  if (name === undefined || value === undefined) return m;
  const before = segmentCount(merged) - segmentCount(value);
  const kept = afterSegments(rest, before).replace(/^\/+|\/+$/g, '');
  return { value: m.value, params: { ...m.params, [name]: kept } };
}
