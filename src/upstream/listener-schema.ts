import { configName } from '../config/schema.js';
import { z } from 'zod';

/**
 * Config schema of `listeners.<name>`: ordered rules in front of named upstreams, as an ALB listener
 * has them (path-pattern and host-header conditions, weighted forwards, fixed responses). An
 * http_proxy integration reaches one with `listener: <name>`. docs/upstreams.md#listeners.
 */

/** ALB wildcards: `*` any run of characters (also none, also `/`), `?` exactly one. */
const pattern = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[^\s]+$/, 'expected a pattern without spaces');

const forwardSchema = z
  .array(
    z.strictObject({
      upstream: configName.describe('Name of an upstream under `upstreams`.'),
      weight: z.number().int().min(0).max(999).default(1).describe('Relative share of requests (ALB: 0–999).'),
    }),
  )
  .min(1, 'expected at least one upstream')
  .max(5, 'ALB forwards to at most 5 target groups')
  .refine((f) => f.some((t) => t.weight > 0), 'expected at least one upstream with weight > 0')
  .describe('Forward to these upstreams, picked per request in proportion to their weights (smooth round-robin).');

const fixedResponseSchema = z
  .strictObject({
    statusCode: z.number().int().min(200).max(599).describe('Response status (ALB: 2XX, 4XX or 5XX).'),
    contentType: z.string().default('text/plain').describe('Content-Type of the body.'),
    body: z.string().max(1024).default('').describe('Response body, as a mock integration body.'),
  })
  .describe('Answer with a fixed response (ALB fixed-response action).');

const actionShape = { forward: forwardSchema.optional(), fixedResponse: fixedResponseSchema.optional() };

function oneAction(a: { forward?: unknown; fixedResponse?: unknown }, ctx: z.RefinementCtx): void {
  if ((a.forward === undefined) === (a.fixedResponse === undefined))
    ctx.addIssue({ code: 'custom', message: 'expected exactly one of "forward" or "fixedResponse"' });
}

const ruleSchema = z
  .strictObject({
    paths: z
      .array(pattern)
      .min(1)
      .max(5)
      .optional()
      .describe(
        'ALB path-pattern: the forwarded path (after base path and stage, without the query) matches one of these, ' +
          'case-sensitive; `*` matches any characters, `?` one. "/api/books*" also matches "/api/booksellers".',
      ),
    hosts: z
      .array(pattern)
      .min(1)
      .max(5)
      .optional()
      .describe('ALB host-header: the Host (without port) matches one of these, case-insensitive, with * and ?.'),
    ...actionShape,
  })
  .superRefine((r, ctx) => {
    if (!r.paths && !r.hosts) ctx.addIssue({ code: 'custom', message: 'expected "paths" or "hosts" (or both)' });
    oneAction(r, ctx);
  })
  .describe('A rule: all its conditions must match; the first matching rule in the list decides.');

export const listenerSchema = z
  .strictObject({
    rules: z.array(ruleSchema).max(100).default([]).describe('Rules, in order (ALB: by priority, lowest first).'),
    default: z
      .strictObject(actionShape)
      .superRefine(oneAction)
      .describe('What a request no rule matches gets (ALB default action).'),
  })
  .describe('Rules in front of upstreams, as an ALB listener: the first matching rule picks the upstream.');

export type ListenerConfig = z.infer<typeof listenerSchema>;
export type ListenerAction = ListenerConfig['default'];
