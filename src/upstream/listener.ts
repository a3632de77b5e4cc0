import type { ConfigPath } from '../config/errors.js';
import type { ForwardOptions } from '../forward/exchange.js';
import { MockIntegration } from '../integrations/mock.js';
import type { Integration, RequestContext } from '../pipeline/context.js';
import { upstreamIntegration } from './integration.js';
import type { ListenerAction, ListenerConfig } from './listener-schema.js';

/**
 * A listener (`listeners.<name>`, ALB semantics): the first rule whose conditions all match the
 * request picks the action, else the default action. A forward action picks one of its upstreams
 * per request by weight (smooth weighted round-robin, as the balancers do), then runs the one
 * forwarding path to it; a fixed response answers as a mock integration does.
 */
export class ListenerIntegration implements Integration {
  readonly type = 'http_proxy';
  readonly description: string;
  #rules: { paths: RegExp[] | undefined; hosts: RegExp[] | undefined; action: Action }[];
  #default: Action;

  constructor(name: string, cfg: ListenerConfig, opts: ForwardOptions) {
    this.description = `http_proxy listener ${name}`;
    this.#rules = cfg.rules.map((r) => ({
      paths: r.paths?.map((p) => wildcard(p, '')),
      hosts: r.hosts?.map((h) => wildcard(h, 'i')),
      action: compileAction(r, opts),
    }));
    this.#default = compileAction(cfg.default, opts);
  }

  invoke(ctx: RequestContext): void {
    this.#pick(ctx).invoke(ctx);
  }

  #pick(ctx: RequestContext): Integration {
    let host: string | undefined;
    for (const r of this.#rules) {
      if (r.paths && !r.paths.some((re) => re.test(ctx.upstreamPath ?? ctx.restPath))) continue;
      if (r.hosts) {
        host ??= hostOnly(ctx.header('host'));
        if (!r.hosts.some((re) => re.test(host as string))) continue;
      }
      return r.action.next();
    }
    return this.#default.next();
  }
}

/** Load-time checks the schema cannot make: every forward names a defined upstream. */
export function checkListeners(
  listeners: Readonly<Record<string, ListenerConfig>>,
  upstreams: ReadonlySet<string>,
  issue: (path: ConfigPath, message: string) => void,
): void {
  for (const [name, l] of Object.entries(listeners)) {
    const check = (a: ListenerAction, at: ConfigPath) => {
      const fixed = a.fixedResponse && fixedResponse(a.fixedResponse);
      if (fixed && 'errors' in fixed) for (const e of fixed.errors) issue([...at, 'fixedResponse', 'body'], e);
      a.forward?.forEach((f, i) => {
        if (!upstreams.has(f.upstream))
          issue(
            [...at, 'forward', i, 'upstream'],
            `unknown upstream "${f.upstream}"${upstreams.size ? `; defined: ${[...upstreams].join(', ')}` : '; none is defined under upstreams'}`,
          );
      });
    };
    l.rules.forEach((r, i) => check(r, ['listeners', name, 'rules', i]));
    check(l.default, ['listeners', name, 'default']);
  }
}

function fixedResponse(f: NonNullable<ListenerAction['fixedResponse']>): MockIntegration | { errors: string[] } {
  return MockIntegration.create({
    type: 'mock',
    statusCode: f.statusCode,
    headers: { 'content-type': f.contentType },
    body: f.body,
  });
}

interface Action {
  next(): Integration;
}

function compileAction(a: ListenerAction, opts: ForwardOptions): Action {
  if (a.fixedResponse) {
    // checkListeners reported a body that does not compile.
    const fixed = fixedResponse(a.fixedResponse) as MockIntegration;
    return { next: () => fixed };
  }
  const targets = (a.forward ?? []).map((f) => ({
    integration: upstreamIntegration(f.upstream, opts),
    weight: f.weight,
    current: 0,
  }));
  if (targets.length === 1) {
    const only = (targets[0] as (typeof targets)[number]).integration;
    return { next: () => only };
  }
  const total = targets.reduce((s, t) => s + t.weight, 0);
  return {
    // Smooth weighted round-robin (nginx): weights 3,1 give a a b a, never a burst.
    next() {
      let best = targets[0] as (typeof targets)[number];
      for (const t of targets) {
        t.current += t.weight;
        if (t.current > best.current) best = t;
      }
      best.current -= total;
      return best.integration;
    },
  };
}

/** An ALB pattern (`*` any characters, `?` one) as an anchored RegExp. */
export function wildcard(p: string, flags: string): RegExp {
  const body = p
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, `${flags}s`);
}

function hostOnly(h: string): string {
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const colon = h.indexOf(':');
  return colon < 0 ? h : h.slice(0, colon);
}
