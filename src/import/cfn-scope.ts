import type { AuthImportOptions } from './authorizers.js';
import type { CfnAccess } from './cfn-access.js';
import type { CodeResolver, FunctionEnv, InlineCodeWriter } from './functions.js';
import type { Json } from './json.js';
import type { MapEnv } from './openapi.js';
import type { ImportReport } from './report.js';

/**
 * What the CloudFormation importer's steps share (a leaf: cloudformation.ts builds it, cfn-rest.ts,
 * cfn-http.ts and cfn-waf.ts each map one resource family with it).
 */

export interface CfnImportOptions extends AuthImportOptions {
  /** Template parameters and Fn::ImportValue exports, as `--param Name=value`. */
  params?: Readonly<Record<string, string>>;
  /** Resource attributes the template can't know, e.g. `EC2Instance.PublicDnsName=127.0.0.1`. */
  resources?: Readonly<Record<string, string>>;
  /**
   * Addresses of targets that exist only at run time (ECS tasks): target group, ECS service or Cloud Map
   * service (logical id, name or DNS name) → `HOST:PORT` values (`--target NAME=HOST:PORT`, repeatable).
   */
  targets?: Readonly<Record<string, readonly string[]>>;
  /** VPC link id (logical id of an AWS::ApiGatewayV2::VpcLink / AWS::ApiGateway::VpcLink, or its physical id) → URL. */
  vpcLinks?: Readonly<Record<string, string>>;
  /** Lambda function (logical id, name or ARN) → `MODULE#EXPORT` of a local handler. */
  functions?: Readonly<Record<string, string>>;
  /** Finds local code of functions with CodeUri/Code + Handler (the CLI looks under --code-root). */
  resolveCode?: CodeResolver;
  /** Saves inline function code (SAM InlineCode, Code.ZipFile) as a module (the CLI writes it next to --out). */
  writeInlineCode?: InlineCodeWriter;
}

export interface CfnImportResult {
  /** Our config; `apis` is empty when the template defines no API Gateway API. */
  config: Json;
  report: ImportReport;
  /** Resource types present but not about APIs, with counts (ignored by design). */
  ignored: Record<string, number>;
  /** Environment variables the config reads API key values from, which the template could not give (PORTICO_KEY_*). */
  env: string[];
}

export type Resource = { Type: string; Properties: Json; Condition?: string };

export interface ApiBuild {
  logical: string;
  api: Json;
  routes: Json[];
  stages: Record<string, Json>;
}

/** One template being imported: its resources (evaluated on demand) and what the steps build. */
export interface CfnScope {
  opts: CfnImportOptions;
  report: ImportReport;
  resources: Record<string, Resource>;
  byType(t: string): [string, Resource][];
  /** A resource's evaluated properties; records what it could not resolve for missingFor. */
  props(id: string): Json;
  missingFor(id: string): string;
  /** What evaluating one (unevaluated) value of the template could not resolve, joined. */
  missingOf(value: unknown): string;
  upstreams: Record<string, { targets: { url: string }[] }>;
  /** listeners.<name> (cfn-elb.ts). */
  listeners: Record<string, Json>;
  functions: FunctionEnv;
  mapEnv: MapEnv;
  builds: ApiBuild[];
  auth: AuthImportOptions;
  access: CfnAccess;
}

export type FindBuild = (apiRef: unknown) => ApiBuild | undefined;

/** Notes name x-amazon-apigateway-integration keys; point the ones added since `from` at the template's own. */
export function renameNoteKeys(report: ImportReport, from: number, prefix: string, keys: Record<string, string>): void {
  for (const n of report.notes.slice(from)) {
    if (!n.pointer.startsWith(`${prefix}/`)) continue;
    const rest = n.pointer.slice(prefix.length + 1);
    const [first = '', ...tail] = rest.split('/');
    if (keys[first]) n.pointer = [prefix, keys[first], ...tail].join('/');
  }
}

export function stringValues(o: Json): Record<string, string> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, String(v)]));
}
