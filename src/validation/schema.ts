/**
 * Config keys of request validation, spread into the API and route schemas of src/config/schema.ts. They
 * mirror API Gateway: API `models` (JSON Schema draft-04, AWS requestModels), named `requestValidators`
 * (x-amazon-apigateway-request-validators) with an API default (x-amazon-apigateway-request-validator),
 * and per route the required parameters (method.request.*.X: true) and the body model.
 */
import type { ConfigFragment } from '../kernel/manifest.js';
import type { Fields } from '../config/schema.js';
import { z } from 'zod';

const paramName = z.string().min(1).max(128);
const modelName = z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/, 'expected a model name of [A-Za-z0-9_.-]{1,128}');
const jsonSchema = z.record(z.string(), z.unknown());

const validatorSchema = z
  .strictObject({
    validateRequestBody: z.boolean().default(false).describe("Check the body against the route's model."),
    validateRequestParameters: z.boolean().default(false).describe("Check the route's required parameters."),
  })
  .describe('A request validator, as x-amazon-apigateway-request-validators: what to check.');

export const validationApiFields = {
  models: z
    .record(modelName, jsonSchema)
    .default({})
    .describe(
      'JSON Schema models (draft-04, as AWS) by name. A model may $ref another as "#/models/Name", "#/definitions/Name", ' +
        '"#/components/schemas/Name" or AWS\'s "https://apigateway.amazonaws.com/restapis/{id}/models/Name"; recursion is allowed.',
    ),
  requestValidators: z
    .record(z.string().min(1).max(128), validatorSchema)
    .default({})
    .describe('Named request validators (x-amazon-apigateway-request-validators).'),
  requestValidator: z
    .string()
    .optional()
    .describe('Validator used by routes that name none (x-amazon-apigateway-request-validator at the root).'),
};

export const requestValidationSchema = z
  .strictObject({
    validator: z
      .string()
      .optional()
      .describe(
        "Name of one of the API's requestValidators (operation-level x-amazon-apigateway-request-validator); default the API's requestValidator.",
      ),
    requiredParameters: z
      .strictObject({
        path: z.array(paramName).default([]).describe('Required path parameters (method.request.path.X).'),
        querystring: z
          .array(paramName)
          .default([])
          .describe('Required query string parameters (method.request.querystring.X).'),
        header: z.array(paramName).default([]).describe('Required headers, any case (method.request.header.X).'),
      })
      .prefault({})
      .describe(
        'Parameters that must be present and non-empty, else 400 "Missing required request parameters: [a, b]".',
      ),
    bodyModel: modelName.optional().describe('Name of the API model the body must match (AWS requestModels).'),
    bodySchema: jsonSchema
      .optional()
      .describe('An inline JSON Schema (draft-04) the body must match, instead of bodyModel.'),
    bodyContentType: z
      .string()
      .default('application/json')
      .describe(
        'Content-Type the model applies to (a request without Content-Type counts as application/json); "$default" = any. Other bodies are not checked, as AWS.',
      ),
    validateBody: z
      .boolean()
      .optional()
      .describe(
        "Check the body. Default: the validator's validateRequestBody, or true when no validator is named anywhere.",
      ),
    validateParameters: z
      .boolean()
      .optional()
      .describe(
        "Check the required parameters. Default: the validator's validateRequestParameters, or true when no validator is named anywhere.",
      ),
  })
  .describe(
    'Request validation for this route (the "validation" phase): 400 BAD_REQUEST_PARAMETERS / BAD_REQUEST_BODY.',
  );

export const validationRouteFields = { requestValidation: requestValidationSchema.optional() };

export type RequestValidationConfig = z.infer<typeof requestValidationSchema>;

/** Request validation's config fields (its manifest's ConfigFragment), spread into the root schema by src/features.ts; their types join the core's. */
export const VALIDATION_CONFIG = { api: validationApiFields, route: validationRouteFields } satisfies ConfigFragment;
declare module '../config/schema.js' {
  interface ApiFeatureFields extends Fields<typeof validationApiFields> {}
  interface RouteFeatureFields extends Fields<typeof validationRouteFields> {}
}
