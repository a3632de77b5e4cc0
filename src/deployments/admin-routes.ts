import { basename } from 'node:path';
import { parse } from 'yaml';
import { AdminError, type AdminRequest, type AdminRoute, type AdminTarget } from '../admin/types.js';
import { ConfigError } from '../config/errors.js';
import { DEPLOYMENTS } from './keys.js';
import { redact } from './redact.js';
import { type CompareAgainst, type DeploymentsService, meta } from './service.js';

function service(target: AdminTarget): DeploymentsService {
  const s = target.runtime.services.get(DEPLOYMENTS);
  if (!s) throw new AdminError(503, 'the deployments service is not running');
  return s;
}

function deploymentId(raw: string | undefined): number {
  const id = Number(raw);
  if (!raw || !Number.isSafeInteger(id) || id < 1)
    throw new AdminError(400, `deployment id: expected a number, got "${raw}"`);
  return id;
}

/** `?against=`: a deployment id, "serving" (the default) or "previous". */
function againstOf(raw: string | null): CompareAgainst {
  if (raw === null || raw === '' || raw === 'serving') return 'serving';
  if (raw === 'previous') return 'previous';
  const id = Number(raw);
  if (!/^[0-9]+$/.test(raw) || !Number.isSafeInteger(id) || id < 1)
    throw new AdminError(400, `against: expected a deployment id, "serving" or "previous", got "${raw}"`);
  return id;
}

function objectBody(v: unknown): Record<string, unknown> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new AdminError(400, 'expected a JSON object');
  return v as Record<string, unknown>;
}

/** "api/stage" from the path's :api and :stage. */
const stageOf = (r: AdminRequest): string => `${r.params.api}/${r.params.stage}`;

/** GET /deployments: AWS's view of the stages (deploymentId, canarySettings) and the history, newest first. */
async function listing(s: DeploymentsService, target: AdminTarget) {
  const state = s.state;
  const stages = target.snapshot.apis.flatMap((a) =>
    a.stages.map((st) => {
      const canary = state?.canaries[`${a.name}/${st.name}`];
      return {
        api: a.name,
        stage: st.name,
        deploymentId: state?.deploymentId ?? null,
        ...(canary ? { canarySettings: canary } : {}),
      };
    }),
  );
  const deployments = (await s.history.list()).map(meta).reverse();
  return { deploymentId: state?.deploymentId ?? null, stages, deployments };
}

/** Deployments: the running config, the history, apply, rollback and stage canaries (docs/operations.md#deployments). */
export const DEPLOYMENT_ROUTES: AdminRoute[] = [
  {
    method: 'GET',
    path: '/config',
    description: 'the running config, secrets redacted',
    handle: ({ target }) => ({
      body: {
        deploymentId: target.snapshot.deployment?.id ?? null,
        hash: target.snapshot.loaded.hash,
        config: redact(target.snapshot.config),
      },
    }),
  },
  {
    method: 'GET',
    path: '/deployments',
    description: 'stages and the deployment history',
    handle: async ({ target }) => ({ body: await listing(service(target), target) }),
  },
  {
    method: 'GET',
    path: '/deployments/:id',
    description: 'one deployment, its config redacted',
    handle: async ({ target, params }) => {
      const s = service(target);
      const rec = await s.history.get(deploymentId(params.id));
      if (!rec) throw new AdminError(404, `no deployment ${params.id}`);
      // The text as deployed, parsed (no ${ENV} interpolation) and redacted.
      return { body: { ...meta(rec), config: redact(parse(rec.text)) } };
    },
  },
  {
    method: 'GET',
    path: '/deployments/:id/diff',
    description: 'what deployment id changes against ?against= (default: the serving one; or "previous", or an id)',
    handle: async ({ target, params, query }) => {
      const id = deploymentId(params.id);
      const against = againstOf(query.get('against'));
      try {
        return { body: await service(target).compare(id, against) };
      } catch (err) {
        // A recorded config that no longer compiles here (an ${ENV} now unset, a named file gone).
        if (err instanceof ConfigError)
          return {
            status: 409,
            body: { message: `a deployment no longer compiles: ${err.message}`, issues: err.issues },
          };
        throw err;
      }
    },
  },
  {
    method: 'POST',
    path: '/deployments',
    description: 'validate a config ({config, description, dryRun, canary}); unless dryRun, deploy it',
    handle: async ({ target, body }) => {
      const b = objectBody(await body());
      if (typeof b.config !== 'string') throw new AdminError(400, 'config: expected the config text as a string');
      const canary = b.canary === undefined ? undefined : objectBody(b.canary);
      if (canary && typeof canary.stage !== 'string') throw new AdminError(400, 'canary.stage: expected "api/stage"');
      try {
        const r = await service(target).apply(b.config, {
          description: typeof b.description === 'string' ? b.description : '',
          dryRun: b.dryRun === true,
          ...(canary
            ? { canary: { stage: canary.stage as string, percentTraffic: canary.percentTraffic as number } }
            : {}),
          ...(typeof b.file === 'string' ? { file: basename(b.file) } : {}),
        });
        return { status: r.dryRun ? 200 : 201, body: { ok: true, ...r } };
      } catch (err) {
        if (err instanceof ConfigError)
          return { status: 400, body: { ok: false, error: err.message, issues: err.issues } };
        throw err;
      }
    },
  },
  {
    method: 'POST',
    path: '/deployments/:id/rollback',
    description: 'serve a recorded deployment on every stage again',
    handle: async ({ target, params }) => ({
      body: { ok: true, deployment: await service(target).rollback(deploymentId(params.id)) },
    }),
  },
  {
    method: 'PUT',
    path: '/stages/:api/:stage/canary',
    description: "set a stage's canary ({deploymentId, percentTraffic})",
    handle: async (r) => {
      const b = objectBody(await r.body());
      const state = await service(r.target).setCanary(stageOf(r), {
        deploymentId: deploymentId(String(b.deploymentId)),
        percentTraffic: b.percentTraffic as number,
      });
      return { body: { ok: true, state } };
    },
  },
  {
    method: 'POST',
    path: '/stages/:api/:stage/canary/promote',
    description: "the stage's canary becomes the deployment",
    handle: async (r) => ({ body: { ok: true, state: await service(r.target).endCanary(stageOf(r), 'promote') } }),
  },
  {
    method: 'DELETE',
    path: '/stages/:api/:stage/canary',
    description: "roll back a stage's canary (remove it)",
    handle: async (r) => ({ body: { ok: true, state: await service(r.target).endCanary(stageOf(r), 'rollback') } }),
  },
];
