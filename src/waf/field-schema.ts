// What a WAF rule inspects (AWS FieldToMatch) and how it is transformed first; statements are in ./statement-schema.ts.
import { z } from 'zod';
import { TEXT_TRANSFORMATION_TYPES } from './transforms.js';

export const empty = z.strictObject({}).describe('Present = selected (AWS uses an empty object).');
export const headerName = z
  .string()
  .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'expected an HTTP header name (RFC 9110 token)');
const oversizeHandling = z
  .enum(['CONTINUE', 'MATCH', 'NO_MATCH'])
  .default('CONTINUE')
  .describe(
    'Body larger than the inspection limit: CONTINUE inspects the first bytes, MATCH matches, NO_MATCH does not.',
  );

export const textTransformations = z
  .array(
    z.strictObject({
      priority: z.number().int().min(0).describe('Order of application, lowest first.'),
      type: z.enum(TEXT_TRANSFORMATION_TYPES).describe('The transformation.'),
    }),
  )
  .default([{ priority: 0, type: 'NONE' }])
  .describe('Transformations applied, in priority order, before inspection (AWS TextTransformations).');

const jsonMatchScope = z.enum(['ALL', 'KEY', 'VALUE']);

export const fieldToMatchSchema = z
  .strictObject({
    uriPath: empty.optional().describe('The request path (as received, without the query string).'),
    queryString: empty.optional().describe('The query string, without "?".'),
    method: empty.optional().describe('The HTTP method.'),
    singleHeader: z
      .strictObject({ name: headerName.describe('Header name (case-insensitive).') })
      .optional()
      .describe("One header's value."),
    singleQueryArgument: z
      .strictObject({ name: z.string().min(1).describe('Query argument name (case-insensitive, as AWS).') })
      .optional()
      .describe("One query argument's decoded value(s)."),
    allQueryArguments: empty.optional().describe('Every query argument value, each inspected on its own.'),
    headers: z
      .strictObject({
        matchPattern: z
          .strictObject({
            all: empty.optional().describe('Every header.'),
            includedHeaders: z.array(headerName).optional().describe('Only these headers.'),
            excludedHeaders: z.array(headerName).optional().describe('Every header but these.'),
          })
          .prefault({ all: {} })
          .describe('Which headers.'),
        matchScope: jsonMatchScope.default('ALL').describe('Inspect header names (KEY), values (VALUE) or both (ALL).'),
        oversizeHandling: z
          .enum(['CONTINUE', 'MATCH', 'NO_MATCH'])
          .default('CONTINUE')
          .describe('Accepted for AWS compatibility; headers are never truncated here.'),
      })
      .optional()
      .describe('Headers, each name and/or value inspected on its own.'),
    cookies: z
      .strictObject({
        matchPattern: z
          .strictObject({
            all: empty.optional().describe('Every cookie.'),
            includedCookies: z.array(z.string()).optional().describe('Only these cookies.'),
            excludedCookies: z.array(z.string()).optional().describe('Every cookie but these.'),
          })
          .prefault({ all: {} })
          .describe('Which cookies.'),
        matchScope: jsonMatchScope.default('ALL').describe('Inspect cookie names (KEY), values (VALUE) or both (ALL).'),
        oversizeHandling: z
          .enum(['CONTINUE', 'MATCH', 'NO_MATCH'])
          .default('CONTINUE')
          .describe('Accepted for AWS compatibility.'),
      })
      .optional()
      .describe('Cookies from the Cookie header.'),
    body: z
      .strictObject({ oversizeHandling })
      .optional()
      .describe('The first bytes of the body (see bodyInspectionLimitKb).'),
    jsonBody: z
      .strictObject({
        matchPattern: z
          .strictObject({
            all: empty.optional().describe('Every element.'),
            includedPaths: z
              .array(z.string().regex(/^(\/([^/~]|~[01])*)*$/, 'expected a JSON Pointer such as /user/name'))
              .optional()
              .describe('Only the elements at these JSON Pointers (and below).'),
          })
          .prefault({ all: {} })
          .describe('Which elements.'),
        matchScope: jsonMatchScope.default('VALUE').describe('Inspect keys, values (default) or both.'),
        invalidFallbackBehavior: z
          .enum(['MATCH', 'NO_MATCH', 'EVALUATE_AS_STRING'])
          .default('EVALUATE_AS_STRING')
          .describe(
            'Body that is not valid JSON (or is cut by the limit): match, no match, or inspect it as plain text.',
          ),
        oversizeHandling,
      })
      .optional()
      .describe('The body parsed as JSON; every key and/or leaf value is inspected on its own.'),
  })
  .refine(
    (f) => Object.values(f).filter((v) => v !== undefined).length === 1,
    'expected exactly one field, e.g. { uriPath: {} }',
  )
  .describe('The part of the request to inspect (AWS FieldToMatch).');

export type FieldToMatch = z.infer<typeof fieldToMatchSchema>;
export type TextTransformationConfig = z.infer<typeof textTransformations>[number];
