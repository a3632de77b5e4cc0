import { z } from 'zod';
import { routeThrottleSchema, throttleLimitSchema } from '../../throttle/schema.js';

export const QUOTA_PERIODS = ['DAY', 'WEEK', 'MONTH'] as const;

const quotaSchema = z
  .strictObject({
    limit: z.number().int().min(0).describe('Requests a key may make per period.'),
    period: z.enum(QUOTA_PERIODS).describe('DAY, WEEK or MONTH; periods are aligned to UTC midnight.'),
    offset: z
      .number()
      .int()
      .min(0)
      .default(0)
      .describe(
        'The day a period starts, as CloudFormation QuotaSettings.Offset: DAY must be 0; WEEK 0-6 (0 = Sunday, 1 = Monday); ' +
          'MONTH 0-27 (0 = the 1st).',
      ),
  })
  .superRefine((q, ctx) => {
    const max = q.period === 'DAY' ? 0 : q.period === 'WEEK' ? 6 : 27;
    if (q.offset > max)
      ctx.addIssue({
        code: 'custom',
        path: ['offset'],
        message: `expected an offset of 0-${max} for period ${q.period}`,
      });
  })
  .describe('How many requests a key may make per period.');

const planStageSchema = z
  .strictObject({
    throttle: routeThrottleSchema
      .default({})
      .describe(
        'Per-key limits for single routes of this stage, keyed "/path/METHOD"; they replace the plan throttle there.',
      ),
  })
  .describe('A stage the plan covers.');

const usagePlanSchema = z
  .strictObject({
    description: z.string().max(1024).default('').describe('What the plan is for.'),
    stages: z
      .record(
        z
          .string()
          .regex(
            /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}\/(\$default|[A-Za-z0-9_-]{1,128})$/,
            'expected "api/stage", e.g. "pets/prod"',
          ),
        planStageSchema,
      )
      .refine((s) => Object.keys(s).length > 0, 'expected at least one stage')
      .describe('Stages the plan covers, as "api/stage" (e.g. "pets/prod": {}), with optional per-route throttles.'),
    throttle: throttleLimitSchema
      .optional()
      .describe("Per-key token bucket across the plan's stages. Unset = no plan limit."),
    quota: quotaSchema.optional().describe('Per-key request quota. Unset = no quota.'),
  })
  .describe(
    'A usage plan (AWS): which stages its keys may call, how fast and how much. Keys join plans at runtime (admin API, CLI) or in the config file (apiKeys.NAME.usagePlans).',
  );

export const usagePlansSchema = z
  .record(
    z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'expected a plan name of letters, digits, "_", "." or "-"'),
    usagePlanSchema,
  )
  .default({})
  .describe(
    "Usage plans by name. A key in a plan may call the plan's stages; apiKeyRequired routes refuse other keys.",
  );

export type UsagePlanConfig = z.infer<typeof usagePlanSchema>;
export type QuotaConfig = z.infer<typeof quotaSchema>;
