/**
 * Route keys as AWS writes them: "METHOD /path", "ANY /{proxy+}", "$default".
 * A segment is static, a "{param}" (one segment) or a final "{name+}" (greedy, one or more segments).
 */

/** AWS API Gateway's methods; ANY stands for all of them (DG: http-api-develop-routes). */
export const HTTP_METHODS = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];
export type RouteMethod = HttpMethod | 'ANY';

export type Segment =
  { kind: 'static'; value: string } | { kind: 'param'; name: string } | { kind: 'greedy'; name: string };

export interface RouteKey {
  /** Normalised key, e.g. "GET /pets/{id}" or "$default". */
  key: string;
  method: RouteMethod;
  /** "/pets/{id}"; "" for $default. */
  path: string;
  segments: Segment[];
  isDefault: boolean;
}

const PARAM = /^\{([A-Za-z_][A-Za-z0-9_.-]*)(\+)?\}$/;
const STATIC = /^[A-Za-z0-9._~!$&'()*,;=:@%-]+$/;

/** Returns the parsed key, or a message saying what is wrong with it. */
export function parseRouteKey(input: string): RouteKey | string {
  const expected = 'expected "METHOD /path" such as "GET /pets/{id}", "ANY /{proxy+}" or "$default"';
  if (input === '$default') return { key: '$default', method: 'ANY', path: '', segments: [], isDefault: true };
  const m = /^(\S+) (\/\S*)$/.exec(input);
  if (!m) return `${expected}, got "${input}"`;
  const method = m[1] as string;
  if (method !== 'ANY' && !(HTTP_METHODS as readonly string[]).includes(method)) {
    return `unknown method "${method}": expected ANY or one of ${HTTP_METHODS.join(', ')}`;
  }
  let path = m[2] as string;
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  const parts = path === '/' ? [] : path.slice(1).split('/');
  const segments: Segment[] = [];
  const names = new Set<string>();
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    if (part === '') return `empty path segment in "${path}"`;
    const p = PARAM.exec(part);
    if (p) {
      const name = p[1] as string;
      if (names.has(name)) return `path parameter "{${name}}" appears twice in "${path}"`;
      names.add(name);
      if (p[2]) {
        if (i !== parts.length - 1) return `greedy parameter "{${name}+}" must be the last segment of "${path}"`;
        segments.push({ kind: 'greedy', name });
      } else {
        segments.push({ kind: 'param', name });
      }
    } else if (part.includes('{') || part.includes('}')) {
      return `segment "${part}" mixes text and a parameter; a parameter must be a whole segment like {id}`;
    } else if (!STATIC.test(part)) {
      return `segment "${part}" has characters not allowed in a path`;
    } else {
      segments.push({ kind: 'static', value: part });
    }
  }
  // slice(): an array grown by push keeps spare capacity; compiled routes keep this one (10,000 routes: megabytes).
  return {
    key: `${method} ${path}`,
    method: method as RouteMethod,
    path,
    segments: segments.slice(),
    isDefault: false,
  };
}
