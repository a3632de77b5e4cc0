import type { Feature } from '../feature.js';
import { PHASE_ORDER } from './phases.js';
import type { ApiHookFactory, IntegrationFactory, PolicyFactory } from './policy.js';

/** What compile takes from the feature list (src/features.ts): policy factories by phase, API-stage hooks, integration types. */
export interface CompileFeatures {
  /** Every feature's policy factories, by phase (stable: list order within a phase). */
  readonly policies: readonly PolicyFactory[];
  /** API-stage hooks (pre-route answers such as the WAF's and CORS preflight; response header hooks), in list order. */
  readonly hooks: readonly ApiHookFactory[];
  /** Integration types the features add (`function`), by type name. */
  readonly integrations: ReadonlyMap<string, IntegrationFactory>;
}

/** Collects what compile needs from a feature list. Order within a phase follows the list; phases run in PHASES order. */
export function compileFeatures(features: readonly Feature[]): CompileFeatures {
  const integrations = new Map<string, IntegrationFactory>();
  for (const f of features) {
    for (const [type, factory] of Object.entries(f.integrations ?? {})) {
      if (integrations.has(type)) throw new Error(`integration type "${type}" is defined twice (feature "${f.name}")`);
      integrations.set(type, factory);
    }
  }
  return {
    policies: features.flatMap((f) => f.policies ?? []).sort((a, b) => PHASE_ORDER[a.phase] - PHASE_ORDER[b.phase]),
    hooks: features.flatMap((f) => f.hooks ?? []),
    integrations,
  };
}
