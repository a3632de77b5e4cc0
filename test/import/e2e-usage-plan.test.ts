import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../../src/clock.js';
import { parseTemplate } from '../../src/import/cfn-intrinsics.js';
import { importCloudFormation } from '../../src/import/cloudformation.js';
import { samUsagePlanResources } from '../../src/import/sam-usage-plans.js';
import { runCli, runCliAsync } from '../helpers/cli.js';
import { call } from '../helpers/http-call.js';
import { startTestGateway, startUpstream, type TestGateway, type TestUpstream } from '../helpers/gateway.js';
import { corpus } from './import-helpers.js';

const { dir: CORPUS } = corpus('cloudformation');
const USAGE_PLAN = join(
  CORPUS,
  'awsdocs_amazon-api-gateway-developer-guide__cloudformation-templates__REST__usage-plan.yaml',
);
const PETSTORE = 'http://petstore.execute-api.us-west-1.amazonaws.com/petstore/pets';

/** `portico import cloudformation TEMPLATE --out cfg.yaml ARGS` (the real CLI); returns the written YAML and the report. */
async function importWithCli(
  dir: string,
  template: string,
  args: string[] = [],
): Promise<{ yaml: string; report: string }> {
  const src = join(dir, 'template.yaml');
  const out = join(dir, 'cfg.yaml');
  await writeFile(src, template);
  const r = runCli(['import', 'cloudformation', src, '--out', out, ...args]);
  assert.equal(r.code, 0, r.stderr);
  return { yaml: await readFile(out, 'utf8'), report: r.stderr };
}

/** n requests; the statuses in order. */
async function statuses(
  port: number,
  n: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await call(port, 'GET', path, headers)).status);
  return out;
}

describe('import the AWS usage-plan template (ApiKey, UsagePlan, UsagePlanKey) → portico start', () => {
  let up: TestUpstream;
  let dir: string;
  const gateways: TestGateway[] = [];

  before(async () => {
    up = await startUpstream();
    dir = await mkdtemp(join(tmpdir(), 'portico-e2e-plan-'));
  });
  after(async () => {
    for (const g of gateways) await g.close();
    await up.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('as written (no method has ApiKeyRequired): requests without a key pass, as on AWS, and the report says the plan never applies', async () => {
    const text = (await readFile(USAGE_PLAN, 'utf8')).replace(PETSTORE, `${up.url}/pets`);
    const { yaml, report } = await importWithCli(dir, text);
    assert.match(
      report,
      /no method of example-with-usage-plan\/test requires an API key \(ApiKeyRequired\), so, as on AWS, the plan's limits never apply there/,
    );
    assert.match(
      report,
      /\/Resources\/MyAPIKey {2}Value: the template has no Value: as AWS does, the gateway generates one when it first starts with this config, stores it hashed, and `portico keys show cfg-MyAPIKey` prints it once/,
    );
    // No environment variable to set: the config validates and starts as imported.
    assert.doesNotMatch(yaml, /PORTICO_KEY|value:/);
    const g = await startTestGateway(yaml);
    gateways.push(g);
    assert.deepEqual(await statuses(g.port, 3, '/test/pets'), [200, 200, 200]);
  });

  test('with ApiKeyRequired: no key → 403 Forbidden; the key → 200; past the per-method burst 100 → 429; the plan rate refills it', async () => {
    const text = (await readFile(USAGE_PLAN, 'utf8'))
      .replace(PETSTORE, `${up.url}/pets`)
      .replace('      AuthorizationType: NONE\n', '      AuthorizationType: NONE\n      ApiKeyRequired: true\n');
    const { yaml, report } = await importWithCli(dir, text);
    assert.doesNotMatch(report, /never apply/);
    const clock = new ManualClock();
    const g = await startTestGateway(yaml, { clock });
    gateways.push(g);
    // The key the gateway generated on start: `portico keys show` (the real CLI) prints it once, then never again.
    const keys = ['-c', g.configPath, '--admin', g.gw.adminUrl, '--token', g.gw.adminToken];
    const listed = await runCliAsync(['keys', 'list', ...keys]);
    assert.match(
      listed.stdout,
      /cfg-MyAPIKey: its value was generated and not shown yet: portico keys show cfg-MyAPIKey \(once\)/,
    );
    const shown = await runCliAsync(['keys', 'show', 'cfg-MyAPIKey', ...keys]);
    assert.equal(shown.code, 0, shown.stderr);
    const KEY = /^value: {7}(\S+)$/m.exec(shown.stdout)?.[1] ?? '';
    assert.match(KEY, /^[A-Za-z0-9_-]{40}$/);
    assert.match(shown.stdout, /source: {6}config/);
    const again = await runCliAsync(['keys', 'show', 'cfg-MyAPIKey', ...keys]);
    assert.equal(again.code, 0, again.stderr);
    assert.doesNotMatch(again.stdout, /value:/);
    assert.doesNotMatch((await runCliAsync(['keys', 'list', ...keys])).stdout, /not shown yet/);
    const none = await call(g.port, 'GET', '/test/pets');
    assert.deepEqual([none.status, none.body], [403, '{"message":"Forbidden"}']);
    assert.equal((await call(g.port, 'GET', '/test/pets', { 'x-api-key': 'not-the-key-0123456789abc' })).status, 403);
    const before = up.requests.length;
    const key = { 'x-api-key': KEY };
    const burst = await statuses(g.port, 100, '/test/pets', key);
    assert.deepEqual(burst, Array(100).fill(200), 'the plan\'s "/pets/GET" burst is 100');
    assert.equal(up.requests.length - before, 100);
    const over = await call(g.port, 'GET', '/test/pets', key);
    assert.deepEqual([over.status, over.body], [429, '{"message":"Too Many Requests"}']);
    assert.equal((await call(g.port, 'GET', '/tempstage/pets', key)).status, 403, 'the plan covers stage test only');
    clock.advance(100); // rate 100/s → 10 tokens
    assert.deepEqual(await statuses(g.port, 11, '/test/pets', key), [...Array(10).fill(200), 429]);
  });
});

/** /items (GET, POST), /slow (GET), /metered (GET, ApiKeyRequired) → \${Backend}/<path>. */
function resourceAndMethods(): string {
  const out: string[] = [];
  for (const [res, path, methods] of [
    ['Items', 'items', ['GET', 'POST']],
    ['Slow', 'slow', ['GET']],
    ['Metered', 'metered', ['GET']],
  ] as const) {
    out.push(
      `  ${res}:\n    Type: AWS::ApiGateway::Resource\n    Properties: { RestApiId: !Ref Api, ParentId: !GetAtt Api.RootResourceId, PathPart: ${path} }`,
    );
    for (const m of methods) {
      const key = path === 'metered' ? ', ApiKeyRequired: true' : '';
      const integ = `{ Type: HTTP_PROXY, IntegrationHttpMethod: ${m}, Uri: !Sub "\${Backend}/${path}" }`;
      out.push(
        `  ${m}${res}:\n    Type: AWS::ApiGateway::Method\n    Properties: { RestApiId: !Ref Api, ResourceId: !Ref ${res}, HttpMethod: ${m}${key}, Integration: ${integ} }`,
      );
    }
  }
  return `${out.join('\n')}\n`;
}

const STAGE_TEMPLATE = `
Parameters:
  Backend: { Type: String }
Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties: { Name: shop }
${resourceAndMethods()}  Deployment:
    Type: AWS::ApiGateway::Deployment
    DependsOn: [GETItems, POSTItems, GETSlow, GETMetered]
    Properties: { RestApiId: !Ref Api }
  Prod:
    Type: AWS::ApiGateway::Stage
    Properties:
      RestApiId: !Ref Api
      DeploymentId: !Ref Deployment
      StageName: prod
      CacheClusterEnabled: true
      CacheClusterSize: "0.5"
      MethodSettings:
        - ResourcePath: /~1slow
          HttpMethod: GET
          ThrottlingRateLimit: 1
          ThrottlingBurstLimit: 1
          CachingEnabled: false
        - ResourcePath: /*
          HttpMethod: "*"
          ThrottlingRateLimit: 1
          ThrottlingBurstLimit: 3
          CachingEnabled: true
          CacheTtlInSeconds: 60
  Plan:
    Type: AWS::ApiGateway::UsagePlan
    Properties:
      UsagePlanName: metered
      ApiStages: [{ ApiId: !Ref Api, Stage: !Ref Prod }]
      Quota: { Limit: 2, Period: WEEK, Offset: 1 }
  Key:
    Type: AWS::ApiGateway::ApiKey
    Properties: { Name: partner, Enabled: true, Value: literal-key-from-the-template-01 }
  PlanKey:
    Type: AWS::ApiGateway::UsagePlanKey
    Properties: { KeyId: !Ref Key, KeyType: API_KEY, UsagePlanId: !Ref Plan }
`;

describe('import Stage MethodSettings (throttling, caching) and a quota → portico start', () => {
  let up: TestUpstream;
  let dir: string;
  let g: TestGateway;
  const clock = new ManualClock();
  const hits = (path: string) => up.requests.filter((r) => r.method === 'GET' && r.url === path).length;

  before(async () => {
    up = await startUpstream();
    dir = await mkdtemp(join(tmpdir(), 'portico-e2e-stage-'));
    const { yaml, report } = await importWithCli(dir, STAGE_TEMPLATE, ['--param', `Backend=${up.url}`]);
    assert.match(
      report,
      /\/Resources\/Key\/Properties\/Value {2}Value: the key's value is now in the config file; better keep it in an environment variable: value: \$\{PORTICO_KEY_PARTNER\}/,
    );
    assert.match(report, /CacheClusterSize: 0\.5 GB becomes the stage cache's memory budget \(capacityMB 512/);
    g = await startTestGateway(yaml, { clock });
  });
  after(async () => {
    await g?.close();
    await up.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('/* * caching: GET /items is cached for 60 s; the /* * throttle is a bucket per method (burst 3), as AWS default method settings', async () => {
    const first = await call(g.port, 'GET', '/prod/items');
    assert.equal(first.status, 200);
    const second = await call(g.port, 'GET', '/prod/items');
    assert.equal(second.headers['x-cache'], 'Hit');
    assert.equal(hits('/items'), 1, 'the second came from the stage cache');
    assert.equal((await call(g.port, 'GET', '/prod/items')).status, 200);
    const over = await call(g.port, 'GET', '/prod/items');
    assert.deepEqual([over.status, over.body], [429, '{"message":"Too Many Requests"}']);
    // POST /items has its own bucket and is not cached (AWS caches GET only).
    for (let i = 0; i < 2; i++) assert.equal((await call(g.port, 'POST', '/prod/items', {}, '{}')).status, 200);
    assert.equal(up.requests.filter((r) => r.method === 'POST').length, 2);
    clock.advance(61_000);
    assert.equal((await call(g.port, 'GET', '/prod/items')).status, 200);
    assert.equal(hits('/items'), 2, 'expired after CacheTtlInSeconds 60');
  });

  test('a specific method setting wins over /* *: GET /slow has burst 1 and caching off', async () => {
    assert.deepEqual(await statuses(g.port, 2, '/prod/slow'), [200, 429]);
    clock.advance(1000);
    assert.equal((await call(g.port, 'GET', '/prod/slow')).status, 200);
    assert.equal(hits('/slow'), 2, 'never cached');
  });

  test('the plan quota (Limit 2 per WEEK): the template key works twice, then 429 Limit Exceeded', async () => {
    const key = { 'x-api-key': 'literal-key-from-the-template-01' };
    assert.equal((await call(g.port, 'GET', '/prod/metered')).status, 403);
    assert.deepEqual(await statuses(g.port, 2, '/prod/metered', key), [200, 200]);
    const over = await call(g.port, 'GET', '/prod/metered', key);
    assert.deepEqual([over.status, over.body], [429, '{"message":"Limit Exceeded"}']);
  });
});

describe('import mapping of method settings, plans and keys (no gateway)', () => {
  const tpl = (stage: string) => `
Resources:
  Api: { Type: AWS::ApiGateway::RestApi, Properties: { Name: pets } }
  Pets: { Type: AWS::ApiGateway::Resource, Properties: { RestApiId: !Ref Api, ParentId: !GetAtt Api.RootResourceId, PathPart: pets } }
  Get:
    Type: AWS::ApiGateway::Method
    Properties: { RestApiId: !Ref Api, ResourceId: !Ref Pets, HttpMethod: GET, ApiKeyRequired: true, Integration: { Type: MOCK } }
  Root:
    Type: AWS::ApiGateway::Method
    Properties: { RestApiId: !Ref Api, ResourceId: !GetAtt Api.RootResourceId, HttpMethod: GET, Integration: { Type: MOCK } }
  Deployment:
    Type: AWS::ApiGateway::Deployment
    Properties:
      RestApiId: !Ref Api
      StageName: v1
${stage}
`;

  test('Deployment StageDescription: Throttling* are per-method defaults; CachingEnabled without a cache cluster caches nothing', () => {
    const { config, report } = importCloudFormation(
      tpl(`      StageDescription:
        ThrottlingRateLimit: 50
        CachingEnabled: true
        MethodSettings:
          - { ResourcePath: /pets, HttpMethod: GET, ThrottlingBurstLimit: 7, ThrottlingRateLimit: 5, LoggingLevel: INFO }
          - { ResourcePath: /nope, HttpMethod: GET, ThrottlingRateLimit: 5 }`),
    );
    const api = (config.apis as Record<string, unknown>[])[0] as {
      stages: Record<string, unknown>;
      routes: Record<string, unknown>[];
    };
    assert.deepEqual(api.stages.v1, {
      routeThrottle: { '//GET': { rate: 50, burst: 5000 }, '/pets/GET': { rate: 5, burst: 7 } },
    });
    assert.equal(api.routes[0]?.apiKeyRequired, true);
    const text = report.format();
    assert.match(
      text,
      /StageDescription {2}throttling: only the rate is set; the other is AWS's default \(10000 rps, burst 5000\)/,
    );
    assert.match(
      text,
      /CachingEnabled: caching is enabled but CacheClusterEnabled is not: AWS caches nothing without a cache cluster/,
    );
    assert.match(text, /MethodSettings\/0\/LoggingLevel {2}LoggingLevel: CloudWatch execution logging/);
    assert.match(
      text,
      /MethodSettings\/1 {2}MethodSettings: no imported method matches ResourcePath \/nope HttpMethod GET; left out/,
    );
  });

  test('UsagePlan: per-method throttle keys are checked, Quota with Offset, StageKeys → a plan without limits; CFN Enabled defaults to false', () => {
    const { config, report, env } = importCloudFormation(
      tpl(`  Plan:
    Type: AWS::ApiGateway::UsagePlan
    Properties:
      ApiStages: [{ ApiId: !Ref Api, Stage: v1, Throttle: { "/pets/GET": { RateLimit: 2, BurstLimit: 4 }, "/cats/GET": { RateLimit: 1, BurstLimit: 1 } } }]
      Throttle: { RateLimit: 10, BurstLimit: 20 }
      Quota: { Limit: 1000, Period: MONTH, Offset: 14 }
  Gold:
    Type: AWS::ApiGateway::UsagePlan
    Properties: { UsagePlanName: gold, ApiStages: [{ ApiId: !Ref Api, Stage: v9 }] }
  Stale:
    Type: AWS::ApiGateway::ApiKey
    Properties: { StageKeys: [{ RestApiId: !Ref Api, StageName: v1 }], Value: short }
  InPlan:
    Type: AWS::ApiGateway::ApiKey
    Properties: { Name: in plan, Enabled: true, StageKeys: [{ RestApiId: !Ref Api, StageName: v1 }] }
  PlanKey:
    Type: AWS::ApiGateway::UsagePlanKey
    Properties: { KeyId: !Ref InPlan, KeyType: API_KEY, UsagePlanId: !Ref Plan }`),
    );
    assert.deepEqual(config.usagePlans, {
      Plan: {
        stages: { 'pets/v1': { throttle: { '/pets/GET': { rate: 2, burst: 4 } } } },
        throttle: { rate: 10, burst: 20 },
        quota: { limit: 1000, period: 'MONTH', offset: 14 },
      },
      'stagekeys-pets-v1': { description: 'StageKeys of API keys for pets/v1', stages: { 'pets/v1': {} } },
    });
    assert.deepEqual(config.apiKeys, {
      Stale: { value: '${PORTICO_KEY_STALE}', enabled: false, usagePlans: ['stagekeys-pets-v1'] },
      // No Value: none is written, the gateway generates it (issue #20).
      'in-plan': { enabled: true, usagePlans: ['Plan'] },
    });
    assert.deepEqual(env, ['PORTICO_KEY_STALE']);
    const text = report.format();
    assert.match(text, /Throttle\/~1cats~1GET {2}ApiStages Throttle: no imported method is "\/cats\/GET"/);
    assert.match(
      text,
      /\/Resources\/Gold\/Properties\/ApiStages\/0 {2}ApiStages: API Api has no stage "v9"; stage left out of the plan/,
    );
    assert.match(
      text,
      /\/Resources\/Gold\/Properties {2}AWS::ApiGateway::UsagePlan: covers no imported API stage; plan left out/,
    );
    assert.match(
      text,
      /\/Resources\/Stale\/Properties\/Value {2}Value: the template's Value is not 20-128 printable characters/,
    );
    assert.match(text, /\/Resources\/Stale {2}Enabled: not set: AWS creates the key disabled/);
    assert.match(
      text,
      /StageKeys\/0 {2}StageKeys: mapped to usage plan "stagekeys-pets-v1" \(no limits\) covering pets\/v1/,
    );
  });

  test('SAM Auth.UsagePlan (the SAM translator corpus): PER_API, SHARED and NONE give the resources SAM generates', async () => {
    const input = await readFile(
      join(CORPUS, 'aws_serverless-application-model__tests__translator__input__api_with_usageplans.yaml'),
      'utf8',
    );
    const output = JSON.parse(
      await readFile(
        join(CORPUS, 'aws_serverless-application-model__tests__translator__output__api_with_usageplans.json'),
        'utf8',
      ),
    ) as { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
    const { resources, origins } = samUsagePlanResources(parseTemplate(input), (v) => v);
    assert.deepEqual(Object.keys(resources).sort(), [
      'MyApiTwoApiKey',
      'MyApiTwoUsagePlan',
      'MyApiTwoUsagePlanKey',
      'ServerlessApiKey',
      'ServerlessUsagePlan',
      'ServerlessUsagePlanKey',
    ]);
    // What SAM itself generated, less Tags (not behaviour) and with Refs as our evaluator gives them (logical ids).
    const sam = output.Resources.MyApiTwoUsagePlan?.Properties as Record<string, unknown>;
    const ours = resources.MyApiTwoUsagePlan?.Properties as Record<string, unknown>;
    for (const k of ['UsagePlanName', 'Description', 'Throttle', 'Quota']) assert.deepEqual(ours[k], sam[k], k);
    assert.deepEqual(ours.ApiStages, [{ ApiId: 'MyApiTwo', Stage: 'Prod' }]);
    // SHARED: MyApiThree (Globals); MyApiOne opted out with NONE. (SAM adds its implicit ServerlessRestApi too.)
    assert.deepEqual(resources.ServerlessUsagePlan?.Properties.ApiStages, [{ ApiId: 'MyApiThree', Stage: 'Prod' }]);
    assert.deepEqual(resources.MyApiTwoUsagePlanKey?.Properties, {
      KeyId: 'MyApiTwoApiKey',
      KeyType: 'API_KEY',
      UsagePlanId: 'MyApiTwoUsagePlan',
    });
    assert.equal(origins.MyApiTwoApiKey, '/Resources/MyApiTwo/Properties/Auth/UsagePlan');
    assert.equal(origins.ServerlessApiKey, '/Globals/Api/Auth/UsagePlan');
    // With the SAM APIs imported (src/import/sam.ts), the plans and keys land in the config.
    const { config } = importCloudFormation(input);
    const plans = config.usagePlans as Record<string, { stages: Record<string, unknown>; quota?: unknown }>;
    assert.deepEqual(Object.keys(plans.SomeRandomName?.stages ?? {}), ['MyApiTwo/Prod']);
    assert.deepEqual(plans.SomeRandomName?.quota, { limit: 10, period: 'MONTH', offset: 10 });
    assert.deepEqual(Object.keys(plans.ServerlessUsagePlan?.stages ?? {}), ['MyApiThree/Prod']);
    const keys = config.apiKeys as Record<string, { usagePlans: string[] }>;
    assert.deepEqual(keys.MyApiTwoApiKey?.usagePlans, ['SomeRandomName']);
  });
});
