import type { CompiledApi, Mounted } from '../../pipeline/context.js';
import type { MountTable } from '../../router/mounts.js';
import { basePathSegments, type DomainConfig } from './schema.js';

type Issue = (path: (string | number)[], message: string) => void;

/**
 * Mounts each custom domain's base path mappings: host = the domain name, prefix = the base path
 * (stripped from the request path, no stage segment after it), value = the mapped API stage. The
 * domain then serves only its mappings (MountTable.close): a path no mapping covers is not found
 * (403 Missing Authentication Token when every mapping is a REST API, else 404, as for any host).
 * The longest base path wins (the mount table's deepest prefix).
 */
export function mountDomains(
  domains: readonly DomainConfig[],
  apis: readonly CompiledApi[],
  mounts: MountTable<Mounted>,
  issue: Issue,
): void {
  const byName = new Map(apis.map((a) => [a.name, a]));
  const seen = new Map<string, number>();
  domains.forEach((d, di) => {
    const name = d.name.toLowerCase();
    const first = seen.get(name);
    if (first !== undefined)
      issue(['domains', di, 'name'], `duplicate domain name "${d.name}" (also domains[${first}])`);
    seen.set(name, di);
    const paths = new Map<string, number>();
    d.basePathMappings.forEach((m, mi) => {
      const at = (k: string) => ['domains', di, 'basePathMappings', mi, k];
      const segments = basePathSegments(m.basePath);
      const key = segments.join('/');
      const dup = paths.get(key);
      if (dup !== undefined) {
        issue(at('basePath'), `base path "${key || '(none)'}" is already mapped by basePathMappings[${dup}]`);
        return;
      }
      paths.set(key, mi);
      const api = byName.get(m.api);
      if (!api) {
        issue(at('api'), `no API named "${m.api}"; APIs: ${[...byName.keys()].join(', ') || '(none)'}`);
        return;
      }
      const stage = api.stages.find((s) => s.name === m.stage);
      if (!stage) {
        issue(
          at('stage'),
          `API "${m.api}" has no stage "${m.stage}"; stages: ${api.stages.map((s) => s.name).join(', ')}`,
        );
        return;
      }
      const clash = mounts.add([name], segments, { api, stage, basePath: key });
      if (clash)
        issue(
          at('basePath'),
          `${d.name}/${key} is already where API "${clash.api.name}" stage "${clash.stage.name}" is mounted (its hosts list ${d.name})`,
        );
    });
    mounts.close(name);
  });
}
