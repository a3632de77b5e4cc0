/**
 * Integration URI templates: `http://host:8080/pets/{id}?x={proxy}`, with `${stageVariables.x}`
 * resolved per stage at load. Path parameters are allowed in the path and query, never in the
 * authority, so a request can't steer the gateway to another host.
 */
export interface UriTemplate {
  origin: string;
  /** Renders path (and template query) for the params; the client's query is appended by the caller. */
  render(params: Readonly<Record<string, string>>): string;
  /** The template has a query part, so the client's query is joined with "&". */
  hasQuery: boolean;
}

const STAGE_VAR = /\$\{stageVariables\.([A-Za-z0-9_]+)\}/g;
const PARAM = /\{([A-Za-z_][A-Za-z0-9_.-]*)\+?\}/g;

export function compileUriTemplate(
  template: string,
  stageVariables: Readonly<Record<string, string>>,
  paramNames: ReadonlySet<string>,
): UriTemplate | string {
  const missing: string[] = [];
  const uri = template.replace(STAGE_VAR, (_, name: string) => {
    const v = stageVariables[name];
    if (v === undefined) missing.push(name);
    return v ?? '';
  });
  if (missing.length) return `stage variable ${missing.map((m) => `"${m}"`).join(', ')} is not defined in this stage`;
  const m = /^(https?):\/\/([^/?#]+)([^#]*)$/.exec(uri);
  if (!m) return `expected an absolute http:// or https:// URI, got "${uri}"`;
  const authority = m[2] as string;
  if (authority.includes('{')) return 'path parameters are not allowed in the URI host or port';
  let origin: string;
  try {
    origin = new URL(`${m[1]}://${authority}`).origin;
  } catch {
    return `invalid host "${authority}"`;
  }
  const rest = (m[3] as string) || '/';
  const pathAndQuery = rest.startsWith('/') ? rest : `/${rest}`;
  const parts: (string | { param: string })[] = [];
  let last = 0;
  for (const p of pathAndQuery.matchAll(PARAM)) {
    const name = p[1] as string;
    if (!paramNames.has(name)) return `"{${name}}" is not a path parameter of this route`;
    if (p.index > last) parts.push(pathAndQuery.slice(last, p.index));
    parts.push({ param: name });
    last = p.index + p[0].length;
  }
  if (last < pathAndQuery.length) parts.push(pathAndQuery.slice(last));
  const hasQuery = pathAndQuery.includes('?');
  if (parts.every((p) => typeof p === 'string')) {
    const fixed = parts.join('');
    return { origin, hasQuery, render: () => fixed };
  }
  const fixedParts = parts.slice();
  return {
    origin,
    hasQuery,
    render(params) {
      let out = '';
      for (const p of fixedParts) out += typeof p === 'string' ? p : (params[p.param] ?? '');
      return out;
    },
  };
}
