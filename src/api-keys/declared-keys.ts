import { z } from 'zod';
import type { UsagePlanConfig } from './usage-plans/schema.js';

/** AWS: 20-128 characters. Printable ASCII without spaces, so it survives a header. */
export const KEY_VALUE_RE = /^[\x21-\x7e]{20,128}$/;
export const KEY_VALUE_RULE =
  "expected 20-128 printable ASCII characters without spaces (AWS's rule for API key values)";

/** The value is never echoed in an error: it is a secret. */
const keyValue = z
  .string({ error: 'expected the key value as a string; quote a ${VAR} whose value is all digits ("${VAR}")' })
  .superRefine((v, ctx) => {
    if (KEY_VALUE_RE.test(v)) return;
    const why = v.length < 20 ? `the value has ${v.length} characters, AWS requires at least 20` : KEY_VALUE_RULE;
    ctx.addIssue({ code: 'custom', message: why, input: undefined });
  });

const declaredKeySchema = z
  .strictObject({
    value: keyValue
      .optional()
      .describe(
        'The key\'s value, normally from the environment ("${PARTNER_KEY}"): 20-128 printable ASCII characters without spaces. ' +
          'Stored only as a keyed hash, like keys created at runtime; never logged. Left out: the gateway generates one when ' +
          'it first reconciles the key, as AWS does for a key without a value, and `portico keys show cfg-NAME` prints it once.',
      ),
    enabled: z.boolean().default(true).describe('false = the key is refused (403) until enabled here again.'),
    usagePlans: z
      .array(z.string())
      .default([])
      .describe('Usage plans (names under usagePlans) the key belongs to; at most one plan per API stage, as on AWS.'),
    description: z.string().max(1024).default('').describe('What the key is for.'),
  })
  .describe(
    'An API key declared in the config file (managed by the file: the admin API and CLI cannot change or delete it).',
  );

export const declaredKeysSchema = z
  .record(
    z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'expected a key name of letters, digits, "_", "." or "-"'),
    declaredKeySchema,
  )
  .default({})
  .describe(
    'API keys declared in the config, by name. Reconciled into the key store at start and on every reload: missing ones are ' +
      'created, changed ones updated, ones removed from the file deleted. Keys created at runtime (admin API, CLI) are left alone.',
  );

export type DeclaredKeyConfig = z.infer<typeof declaredKeySchema>;

/** A stage two usage plans both cover, if any: a key may be in one plan per stage (AWS). */
export function sharedStage(a: { stages: object } | undefined, b: { stages: object } | undefined): string | undefined {
  return a && b ? Object.keys(a.stages).find((s) => s in b.stages) : undefined;
}

type RefineCtx = {
  addIssue(issue: { code: 'custom'; path: (string | number)[]; message: string; input?: unknown }): void;
};

/** Whole-config checks of apiKeys: plan names exist, one plan per stage, values unique. Runs as a refinement of the config schema. */
export function checkDeclaredKeys(
  config: { apiKeys: Record<string, DeclaredKeyConfig>; usagePlans: Record<string, UsagePlanConfig> },
  ctx: RefineCtx,
): void {
  const plans = config.usagePlans;
  const known = Object.keys(plans);
  const byValue = new Map<string, string>();
  for (const [name, key] of Object.entries(config.apiKeys)) {
    const at = (...p: (string | number)[]) => ['apiKeys', name, ...p];
    const other = key.value === undefined ? undefined : byValue.get(key.value);
    if (other !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: at('value'),
        message: `same value as apiKeys.${other}; key values must be unique`,
      });
    else if (key.value !== undefined) byValue.set(key.value, name);
    key.usagePlans.forEach((plan, i) => {
      const cfg = plans[plan];
      if (!cfg) {
        const list = known.length ? `; defined: ${known.join(', ')}` : '; none is defined under usagePlans';
        ctx.addIssue({ code: 'custom', path: at('usagePlans', i), message: `unknown usage plan "${plan}"${list}` });
        return;
      }
      const dup = key.usagePlans.indexOf(plan);
      if (dup < i) {
        ctx.addIssue({ code: 'custom', path: at('usagePlans', i), message: `"${plan}" is listed twice` });
        return;
      }
      for (const earlier of key.usagePlans.slice(0, i)) {
        const shared = sharedStage(cfg, plans[earlier]);
        if (shared) {
          ctx.addIssue({
            code: 'custom',
            path: at('usagePlans', i),
            message: `usage plans "${earlier}" and "${plan}" both cover ${shared}; a key may be in one plan per stage`,
          });
        }
      }
    });
  }
}
