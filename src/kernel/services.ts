/**
 * Typed service keys (kernel: imports no feature). A feature names its long-lived service once,
 * `export const CACHE = defineService<CacheService>('cache')`, and every reader gets the type back
 * from `services.get(CACHE)` without a cast.
 */
declare const SERVICE_TYPE: unique symbol;

/** A service name that carries the service's type. It is the name string at run time. */
export type ServiceKey<T> = string & { readonly [SERVICE_TYPE]?: T };

export function defineService<T>(name: string): ServiceKey<T> {
  return name as ServiceKey<T>;
}

/** The running gateway's services by key; a Map underneath, so iteration and plain names still work. */
export class ServiceRegistry extends Map<string, unknown> {
  override get<T>(key: ServiceKey<T>): T | undefined;
  override get(key: string): unknown;
  override get(key: string): unknown {
    return super.get(key);
  }

  /** The service, or the one `make` creates and registers (tools that compile without a running gateway). */
  getOrCreate<T>(key: ServiceKey<T>, make: () => T): T {
    let s = super.get(key) as T | undefined;
    if (s === undefined) super.set(key, (s = make()));
    return s;
  }
}

/** Orders service definitions so that each starts after its `deps`; throws on an unknown or circular dependency. */
export function startOrder<D extends { name: string; deps?: readonly string[] }>(defs: readonly D[]): D[] {
  const byName = new Map(defs.map((d) => [d.name, d]));
  const out: D[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (d: D, chain: string[]): void => {
    const s = state.get(d.name);
    if (s === 'done') return;
    if (s === 'visiting') throw new Error(`service dependency cycle: ${[...chain, d.name].join(' → ')}`);
    state.set(d.name, 'visiting');
    for (const dep of d.deps ?? []) {
      const target = byName.get(dep);
      if (!target) throw new Error(`service "${d.name}" depends on unknown service "${dep}"`);
      visit(target, [...chain, d.name]);
    }
    state.set(d.name, 'done');
    out.push(d);
  };
  for (const d of defs) visit(d, []);
  return out;
}
