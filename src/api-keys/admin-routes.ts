import { AdminError, type AdminRequest, type AdminRoute } from '../admin/types.js';
import { apiKeysService } from './policy.js';
import { utcDay } from './usage-plans/period.js';
import { type CreateKeyInput, KeyError, viewOf } from './registry.js';
import type { ApiKeysService } from './service.js';

const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

/** Runs a key operation; KeyErrors become admin errors with their status. */
async function run<T>(r: AdminRequest, fn: (svc: ApiKeysService) => Promise<T> | T): Promise<T> {
  let svc: ApiKeysService;
  try {
    svc = apiKeysService(r.target.runtime);
  } catch {
    throw new AdminError(503, 'API keys are not available: the apiKeys service is not running');
  }
  try {
    return await fn(svc);
  } catch (err) {
    if (err instanceof KeyError) throw new AdminError(err.status, err.message);
    throw err;
  }
}

async function objectBody(r: AdminRequest): Promise<Record<string, unknown>> {
  const body = await r.body();
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new AdminError(400, 'expected a JSON object body');
  return body as Record<string, unknown>;
}

const plansOf = (r: AdminRequest) => r.target.snapshot.config.usagePlans;

/** from/to query parameters (YYYY-MM-DD, inclusive); default the last 30 days up to today (UTC). */
function range(r: AdminRequest): { from: string; to: string } {
  const now = r.target.runtime.clock.now();
  const to = r.query.get('to') ?? utcDay(now);
  const from = r.query.get('from') ?? utcDay(Date.parse(`${to}T00:00:00Z`) - 29 * DAY_MS);
  for (const [name, v] of [
    ['from', from],
    ['to', to],
  ] as const) {
    if (!DAY_RE.test(v) || Number.isNaN(Date.parse(`${v}T00:00:00Z`)))
      throw new AdminError(400, `${name}: expected a day as YYYY-MM-DD, got "${v}"`);
  }
  if (from > to) throw new AdminError(400, `from (${from}) is after to (${to})`);
  return { from, to };
}

/** API keys, their usage plans and usage. Values are returned only by create and rotate, and a generated config key's by its first show. */
export const KEY_ROUTES: AdminRoute[] = [
  {
    method: 'GET',
    path: '/keys',
    description: 'list API keys (no values)',
    handle: (r) =>
      run(r, async (s) => {
        const unseen = await s.registry.generatedNotShown();
        return {
          body: {
            items: s.registry.list().map((k) => (unseen.has(k.id) ? { ...viewOf(k), valueNotShown: true } : viewOf(k))),
          },
        };
      }),
  },
  {
    method: 'POST',
    path: '/keys',
    description:
      'create an API key {name, plans?, value?, description?, enabled?, expiresAt?}; the value is shown only here',
    handle: async (r) => {
      const body = (await objectBody(r)) as unknown as CreateKeyInput;
      return run(r, async (s) => {
        const { key, value } = await s.registry.create(body, plansOf(r));
        return { status: 201, body: { ...viewOf(key), value } };
      });
    },
  },
  {
    method: 'GET',
    path: '/keys/:id',
    description:
      'show an API key (by id or unique name); a config key whose value the gateway generated gets it here, the first time only',
    handle: (r) =>
      run(r, async (s) => {
        const key = s.registry.get(r.params.id as string);
        const value = key.valueGenerated ? await s.registry.takeGeneratedValue(key.id) : undefined;
        return { body: value === undefined ? viewOf(key) : { ...viewOf(key), value } };
      }),
  },
  {
    method: 'DELETE',
    path: '/keys/:id',
    description: 'delete an API key and its usage',
    handle: (r) => run(r, async (s) => ({ body: viewOf(await s.registry.delete(r.params.id as string)) })),
  },
  {
    method: 'POST',
    path: '/keys/:id/disable',
    description: 'disable an API key (403 until enabled)',
    handle: (r) => run(r, async (s) => ({ body: viewOf(await s.registry.setEnabled(r.params.id as string, false)) })),
  },
  {
    method: 'POST',
    path: '/keys/:id/enable',
    description: 'enable an API key',
    handle: (r) => run(r, async (s) => ({ body: viewOf(await s.registry.setEnabled(r.params.id as string, true)) })),
  },
  {
    method: 'POST',
    path: '/keys/:id/rotate',
    description:
      'give an API key a new value {value?}; the old one stops working at once; the value is shown only here',
    handle: async (r) => {
      const body = await objectBody(r);
      return run(r, async (s) => {
        const { key, value } = await s.registry.rotate(r.params.id as string, body.value as string | undefined);
        return { body: { ...viewOf(key), value } };
      });
    },
  },
  {
    method: 'POST',
    path: '/keys/:id/plans',
    description: 'add an API key to a usage plan {plan}',
    handle: async (r) => {
      const body = await objectBody(r);
      if (typeof body.plan !== 'string') throw new AdminError(400, 'plan: expected a usage plan name');
      return run(r, async (s) => ({
        body: viewOf(await s.registry.addPlan(r.params.id as string, body.plan as string, plansOf(r))),
      }));
    },
  },
  {
    method: 'DELETE',
    path: '/keys/:id/plans/:plan',
    description: 'remove an API key from a usage plan',
    handle: (r) =>
      run(r, async (s) => ({
        body: viewOf(await s.registry.removePlan(r.params.id as string, r.params.plan as string)),
      })),
  },
  {
    method: 'GET',
    path: '/keys/:id/usage',
    description: 'requests per UTC day of an API key (?from=YYYY-MM-DD&to=YYYY-MM-DD, default the last 30 days)',
    handle: (r) =>
      run(r, async (s) => {
        const key = s.registry.get(r.params.id as string);
        const { from, to } = range(r);
        const items = await s.usage(key.id, from, to);
        return {
          body: {
            keyId: key.id,
            name: key.name,
            from,
            to,
            total: Object.values(items).reduce((a, b) => a + b, 0),
            items,
          },
        };
      }),
  },
  {
    method: 'GET',
    path: '/usage-plans',
    description: 'usage plans of the running config, with their key counts',
    handle: (r) =>
      run(r, (s) => {
        const keys = s.registry.list();
        const body = Object.entries(plansOf(r)).map(([name, p]) => ({
          name,
          ...p,
          keys: keys.filter((k) => k.plans.includes(name)).length,
        }));
        return { body: { items: body } };
      }),
  },
];
