// The OpenAPI importer's smaller mappings: mock integrations, gateway responses, and the notes on extensions
// Portico reads but does not map (src/import/openapi.ts is the importer).
import { ImportReport, pointer } from './report.js';
import { isObj, type Json } from './json.js';

export function mapMock(integ: Json, iat: string, report: ImportReport): Json {
  const out: Json = { type: 'mock' };
  const responses = isObj(integ.responses) ? integ.responses : {};
  const def = isObj(responses.default) ? responses.default : undefined;
  let status = 200;
  const tmpl = isObj(integ.requestTemplates) ? integ.requestTemplates['application/json'] : undefined;
  const m = typeof tmpl === 'string' ? /"statusCode"\s*:\s*(\d{3})/.exec(tmpl) : null;
  if (m) status = Number(m[1]);
  if (def && typeof def.statusCode === 'string') status = Number(def.statusCode) || status;
  out.statusCode = status;
  const headers: Record<string, string> = {};
  if (def && isObj(def.responseParameters)) {
    for (const [k, v] of Object.entries(def.responseParameters)) {
      const h = /^method\.response\.header\.(.+)$/.exec(k);
      const s = typeof v === 'string' ? /^'(.*)'$/.exec(v) : null;
      if (h && s) headers[(h[1] as string).toLowerCase()] = s[1] as string;
      else
        report.unsupported(
          `${iat}/responses/default/responseParameters`,
          'responseParameters',
          `${k} ← ${String(v)}: only static values are supported`,
        );
    }
  }
  if (def && isObj(def.responseTemplates)) {
    const entries = Object.entries(def.responseTemplates);
    const [ct, body] = entries[0] ?? [];
    if (typeof body === 'string' && body) {
      // $context, $stageVariables and $input.params() are substituted (integrations/mock.ts); other VTL is not.
      if (/#(set|if|foreach|end|else)\b|\$util\.|\$input\.(json|body|path)\b/.test(body)) {
        report.approximated(
          `${iat}/responses/default/responseTemplates`,
          'VTL',
          'VTL directives, $util and $input.json/body/path are not run: they are sent as literal text ($context, $stageVariables and $input.params() are substituted)',
        );
      }
      out.body = body;
      if (ct && ct !== 'application/json') headers['content-type'] ??= ct;
    }
  }
  if (Object.keys(responses).some((k) => k !== 'default')) {
    report.unsupported(
      `${iat}/responses`,
      'responses',
      'only the default mock response is used; selection patterns are not supported',
    );
  }
  if (Object.keys(headers).length) out.headers = headers;
  return out;
}

export function noteIntegrationExtras(integ: Json, iat: string, report: ImportReport): void {
  for (const key of ['contentHandling', 'credentials', 'tlsConfig']) {
    if (integ[key] !== undefined && !(Array.isArray(integ[key]) && (integ[key] as unknown[]).length === 0)) {
      report.unsupported(`${iat}/${key}`, key, 'not mapped yet');
    }
  }
  if (
    isObj(integ.responses) &&
    Object.values(integ.responses).some((r) => isObj(r) && (isObj(r.responseParameters) || isObj(r.responseTemplates)))
  ) {
    report.unsupported(
      `${iat}/responses`,
      'integration responses',
      'response parameter and template mapping is not supported; the backend response passes through',
    );
  }
}

export function noteOperationExtensions(op: Json, at: string, report: ImportReport): void {
  const auth = op['x-amazon-apigateway-auth'];
  if (auth !== undefined && !(isObj(auth) && /^(none|aws_iam)$/i.test(String(auth.type))))
    report.unsupported(`${at}/x-amazon-apigateway-auth`, 'x-amazon-apigateway-auth', 'expected type NONE or AWS_IAM');
}

const ROOT_EXTENSIONS: Record<string, string> = {
  'x-amazon-apigateway-policy': 'resource policies (IAM JSON) are not supported',
  'x-amazon-apigateway-endpoint-configuration': 'endpoint configuration has no meaning outside AWS',
  'x-amazon-apigateway-minimum-compression-size': 'compression is not supported',
  'x-amazon-apigateway-documentation': 'documentation parts are ignored',
};

export function noteRootExtensions(doc: Json, report: ImportReport): void {
  for (const [key, reason] of Object.entries(ROOT_EXTENSIONS)) {
    if (key in doc) report.unsupported(pointer(key), key, reason);
  }
}

export function mapGatewayResponses(doc: Json, report: ImportReport): Json | undefined {
  const src = doc['x-amazon-apigateway-gateway-responses'];
  if (!isObj(src)) return undefined;
  const out: Json = {};
  for (const [type, r] of Object.entries(src)) {
    if (isObj(r)) out[type] = mapGatewayResponse(r, pointer('x-amazon-apigateway-gateway-responses', type), report);
  }
  return out;
}

/** One gateway response in x-amazon-apigateway-gateway-responses form → ours. */
export function mapGatewayResponse(r: Json, at: string, report: ImportReport): Json {
  const c: Json = {};
  if (r.statusCode !== undefined) c.statusCode = Number(r.statusCode);
  if (isObj(r.responseParameters)) {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(r.responseParameters)) {
      const h = /^gatewayresponse\.header\.(.+)$/.exec(k);
      const s = typeof v === 'string' ? /^'(.*)'$/.exec(v) : null;
      if (h && s) headers[h[1] as string] = s[1] as string;
      else
        report.unsupported(
          `${at}/responseParameters`,
          'gateway response parameter',
          `${k} ← ${String(v)}: only static values are supported`,
        );
    }
    if (Object.keys(headers).length) c.headers = headers;
  }
  if (isObj(r.responseTemplates)) {
    const [ct, body] = Object.entries(r.responseTemplates)[0] ?? [];
    if (typeof body === 'string') {
      c.body = body;
      if (ct && ct !== 'application/json') c.contentType = ct;
    }
  }
  return c;
}
