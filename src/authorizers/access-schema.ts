/**
 * Config keys of the access-control policies (authorizers, IP policy, CORS), spread into the API and
 * route schemas of src/config/schema.ts.
 */
import { arnSchema, authorizersSchema, routeAuthorizerFields } from './schema.js';
import { corsSchema } from '../cors/schema.js';
import { ipPolicySchema } from '../ip-policy/schema.js';

export const accessApiFields = {
  authorizers: authorizersSchema,
  ipPolicy: ipPolicySchema.optional().describe('IP allow/deny lists for every route of the API (resource policy).'),
  cors: corsSchema.optional(),
  arn: arnSchema,
};

export const accessRouteFields = {
  ...routeAuthorizerFields,
  ipPolicy: ipPolicySchema.optional().describe('IP allow/deny lists for this route, checked after the API\'s.'),
};
