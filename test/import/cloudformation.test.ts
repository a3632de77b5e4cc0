import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseTemplate } from '../../src/import/cfn-intrinsics.js';
import { importCloudFormation } from '../../src/import/cloudformation.js';
import { startSample } from '../../src/samples/index.js';
import { stringify as stringifyConfig } from 'yaml';
import { runCli } from '../helpers/cli.js';
import { compiles, corpus, resolvePointer } from './import-helpers.js';
import { startTestGateway } from '../helpers/gateway.js';

const { dir: CORPUS, files } = corpus('cloudformation');

describe('CloudFormation import: the corpus', () => {
  for (const f of files) {
    test(f, async () => {
      const text = readFileSync(join(CORPUS, f), 'utf8');
      const { config, report } = importCloudFormation(text, {
        resources: { 'EC2Instance.PublicDnsName': '127.0.0.1' },
      });
      const template = parseTemplate(text);
      const apis = config.apis as unknown[];
      if (apis.length) await compiles(config);
      else assert.ok(report.notes.length > 0, 'a template without an importable API says why');
      // Every API resource in the template is imported or named in the report.
      const resources = template.Resources as Record<string, { Type: string }>;
      for (const [id, r] of Object.entries(resources)) {
        if (!/^AWS::(ApiGateway|ApiGatewayV2|Serverless|WAFv2)::/.test(r.Type)) continue;
        const named = report.notes.some((n) => n.pointer.startsWith(`/Resources/${id}`));
        const handled =
          /::(RestApi|Resource|Method|Deployment|Stage|BasePathMapping|GatewayResponse|Api|HttpApi|Route|Integration|VpcLink|Function|Authorizer|RequestValidator|Model|ApiGatewayManagedOverrides|ApiKey|UsagePlan|UsagePlanKey)$/.test(
            r.Type,
          );
        assert.ok(named || handled, `${id} (${r.Type}) is neither imported nor reported`);
      }
      for (const n of report.notes) {
        if (!n.pointer.startsWith('/Resources/')) continue;
        assert.notEqual(resolvePointer(template, n.pointer), undefined, `note points at nothing: ${n.pointer}`);
      }
    });
  }
});

describe('CloudFormation import: intrinsics and mappings', () => {
  const tpl = `
Parameters:
  Backend: { Type: String, Default: "http://127.0.0.1:9" }
  Env: { Type: String, Default: prod }
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsDev: !Not [!Condition IsProd]
Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties: { Name: !Join ["-", [pets, !Ref Env]] }
  Pets:
    Type: AWS::ApiGateway::Resource
    Properties: { RestApiId: !Ref Api, ParentId: !GetAtt Api.RootResourceId, PathPart: pets }
  Pet:
    Type: AWS::ApiGateway::Resource
    Properties: { RestApiId: !Ref Api, ParentId: !Ref Pets, PathPart: "{id}" }
  GetPet:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Pet
      HttpMethod: GET
      Integration:
        Type: HTTP_PROXY
        IntegrationHttpMethod: GET
        Uri: !Sub "\${Backend}/pets/{id}"
        TimeoutInMillis: 3000
  DevOnly:
    Type: AWS::ApiGateway::Method
    Condition: IsDev
    Properties: { RestApiId: !Ref Api, ResourceId: !Ref Pets, HttpMethod: DELETE, Integration: { Type: MOCK } }
  Deploy:
    Type: AWS::ApiGateway::Deployment
    Properties: { RestApiId: !Ref Api, StageName: !If [IsProd, live, dev] }
  NotFound:
    Type: AWS::ApiGateway::GatewayResponse
    Properties:
      RestApiId: !Ref Api
      ResponseType: MISSING_AUTHENTICATION_TOKEN
      StatusCode: "404"
      ResponseTemplates: { application/json: !Sub '{"error":"nope \${!literal}"}' }
  Key:
    Type: AWS::ApiGateway::ApiKey
    Properties: { Value: abcdefghijklmnopqrstuvwxyz0123 }
  Bucket:
    Type: AWS::S3::Bucket
`;

  test('Ref, Sub (with ${!literal}), GetAtt, Join, If, Equals, Not, Condition on resources; resource tree; stages; gateway responses', () => {
    const { config, report, ignored } = importCloudFormation(tpl);
    assert.deepEqual(config, {
      version: 1,
      apis: [
        {
          name: 'pets-prod',
          type: 'rest',
          emptySegments: 'aws',
          gatewayResponses: { MISSING_AUTHENTICATION_TOKEN: { statusCode: 404, body: '{"error":"nope $${literal}"}' } },
          stages: { live: {} },
          routes: [
            {
              route: 'GET /pets/{id}',
              integration: { type: 'http_proxy', timeoutMs: 3000, uri: 'http://127.0.0.1:9/pets/{id}' },
            },
          ],
        },
      ],
      apiKeys: { Key: { value: 'abcdefghijklmnopqrstuvwxyz0123', enabled: false, usagePlans: [] } },
    });
    assert.deepEqual(ignored, { 'AWS::S3::Bucket': 1 });
    assert.match(
      report.format(),
      /approximated \/Resources\/Key\/Properties\/Value {2}Value: the key's value is now in the config file/,
    );
  });

  test('--param overrides defaults; unknown values are asked for by name', () => {
    const r = importCloudFormation(
      tpl
        .replace('Default: "http://127.0.0.1:9"', 'Default: !Ref AWS::NoValue')
        .replace('Backend: { Type: String, Default: !Ref AWS::NoValue }', 'Backend: { Type: String }'),
    );
    assert.match(
      r.report.format(),
      /depends on values the template can't know: parameter Backend \(pass --param Backend=VALUE\); method left out/,
    );
    const ok = importCloudFormation(tpl, { params: { Env: 'dev', Backend: 'http://10.0.0.1' } });
    const api = (ok.config.apis as Record<string, unknown>[])[0]!;
    assert.equal(api.name, 'pets-dev');
    assert.deepEqual(api.stages, { dev: {} });
    assert.deepEqual(
      (api.routes as { route: string }[]).map((x) => x.route),
      ['GET /pets/{id}', 'DELETE /pets'],
    );
  });

  test('HTTP API quick create and Route/Integration/Stage', () => {
    const { config } = importCloudFormation(
      JSON.stringify({
        Resources: {
          Quick: {
            Type: 'AWS::ApiGatewayV2::Api',
            Properties: { Name: 'quick', ProtocolType: 'HTTP', Target: 'http://127.0.0.1:9/x' },
          },
          Full: { Type: 'AWS::ApiGatewayV2::Api', Properties: { Name: 'full', ProtocolType: 'HTTP' } },
          Integ: {
            Type: 'AWS::ApiGatewayV2::Integration',
            Properties: {
              ApiId: { Ref: 'Full' },
              IntegrationType: 'HTTP_PROXY',
              IntegrationUri: 'http://127.0.0.1:9/y',
              IntegrationMethod: 'ANY',
              PayloadFormatVersion: '1.0',
            },
          },
          Route: {
            Type: 'AWS::ApiGatewayV2::Route',
            Properties: {
              ApiId: { Ref: 'Full' },
              RouteKey: 'GET /y',
              Target: { 'Fn::Join': ['/', ['integrations', { Ref: 'Integ' }]] },
            },
          },
          Stage: {
            Type: 'AWS::ApiGatewayV2::Stage',
            Properties: { ApiId: { Ref: 'Full' }, StageName: 'beta', StageVariables: { a: 1 } },
          },
        },
      }),
    );
    assert.deepEqual(config.apis, [
      {
        name: 'quick',
        type: 'http',
        emptySegments: 'aws',
        stages: { $default: {} },
        routes: [{ route: '$default', integration: { type: 'http_proxy', uri: 'http://127.0.0.1:9/x' } }],
      },
      {
        name: 'full',
        type: 'http',
        emptySegments: 'aws',
        stages: { beta: { variables: { a: '1' } } },
        routes: [{ route: 'GET /y', integration: { type: 'http_proxy', uri: 'http://127.0.0.1:9/y' } }],
      },
    ]);
  });

  test('not a template', () => {
    assert.throws(() => importCloudFormation('a: 1'), /expected a CloudFormation template with a Resources section/);
  });
});

describe('portico import cloudformation → portico start: the SPA tutorial template', () => {
  const file = join(CORPUS, 'javatask_aws-spa-beginners-guide__p3_rest_api__backend.yaml');
  test('ANY /{proxy+} on stage production reaches the greeting backend', async (t) => {
    const greeting = await startSample('greeting');
    const dir = await mkdtemp(join(tmpdir(), 'portico-cfn-'));
    t.after(async () => {
      await greeting.close();
      await rm(dir, { recursive: true, force: true });
    });
    // The template hard-codes port 8080 on the instance; the copy points at the port our backend got.
    const tplFile = join(dir, 'backend.yaml');
    await writeFile(tplFile, readFileSync(file, 'utf8').replace(':8080/{proxy}', `:${greeting.port}/{proxy}`));
    const out = join(dir, 'portico.yaml');
    const r = runCli([
      'import',
      'cloudformation',
      tplFile,
      '--resource',
      'EC2Instance.PublicDnsName=127.0.0.1',
      '--out',
      out,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const gw = await startTestGateway(readFileSync(out, 'utf8'));
    t.after(() => gw.close());
    const res = await fetch(`${gw.url}/production/api/greeting`);
    assert.equal(await res.text(), '{"id":1,"content":"Hello, World!"}');
    const miss = await fetch(`${gw.url}/staging/api/greeting`);
    assert.equal(miss.status, 403);
  });

  test('a template without an API: exit 1, says why, writes nothing', () => {
    const r = runCli([
      'import',
      'cloudformation',
      join(CORPUS, 'javatask_aws-spa-beginners-guide__p5_connecting_dots__frontend.yaml'),
    ]);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /defines no API \(AWS::ApiGateway::RestApi or AWS::ApiGatewayV2::Api\) that can be imported; nothing written/,
    );
    assert.equal(r.stdout, '');
    const wrongFlag = runCli(['import', 'cloudformation', 'x.yaml', '--stage', 'a']);
    assert.equal(wrongFlag.code, 2);
    assert.match(wrongFlag.stderr, /--stage is for `portico import openapi`/);
  });
});

describe('CloudFormation import: AWS::WAFv2 web ACLs on a REST API stage', () => {
  const tpl = (up: string) => `
Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties: { Name: guarded }
  Proxy:
    Type: AWS::ApiGateway::Resource
    Properties: { RestApiId: !Ref Api, ParentId: !GetAtt Api.RootResourceId, PathPart: "{proxy+}" }
  Any:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Proxy
      HttpMethod: ANY
      Integration: { Type: HTTP_PROXY, IntegrationHttpMethod: ANY, Uri: "${up}/{proxy}" }
  Deploy:
    Type: AWS::ApiGateway::Deployment
    Properties: { RestApiId: !Ref Api }
  Prod:
    Type: AWS::ApiGateway::Stage
    Properties: { RestApiId: !Ref Api, DeploymentId: !Ref Deploy, StageName: prod }
  Blocked:
    Type: AWS::WAFv2::IPSet
    Properties: { Name: blocked-ips, Scope: REGIONAL, IPAddressVersion: IPV4, Addresses: [203.0.113.0/24] }
  Acl:
    Type: AWS::WAFv2::WebACL
    Properties:
      Name: api-acl
      Scope: REGIONAL
      DefaultAction: { Allow: {} }
      VisibilityConfig: { SampledRequestsEnabled: true, CloudWatchMetricsEnabled: true, MetricName: acl }
      Rules:
        - Name: block-ips
          Priority: 0
          Action: { Block: {} }
          Statement: { IPSetReferenceStatement: { Arn: !GetAtt Blocked.Arn } }
          VisibilityConfig: { SampledRequestsEnabled: true, CloudWatchMetricsEnabled: true, MetricName: ips }
        - Name: sqli
          Priority: 1
          OverrideAction: { None: {} }
          Statement: { ManagedRuleGroupStatement: { VendorName: AWS, Name: AWSManagedRulesSQLiRuleSet } }
          VisibilityConfig: { SampledRequestsEnabled: true, CloudWatchMetricsEnabled: true, MetricName: sqli }
        - Name: bots
          Priority: 2
          OverrideAction: { None: {} }
          Statement: { ManagedRuleGroupStatement: { VendorName: AWS, Name: AWSManagedRulesBotControlRuleSet } }
          VisibilityConfig: { SampledRequestsEnabled: true, CloudWatchMetricsEnabled: true, MetricName: bots }
  Assoc:
    Type: AWS::WAFv2::WebACLAssociation
    Properties:
      ResourceArn: !Sub "arn:aws:apigateway:\${AWS::Region}::/restapis/\${Api}/stages/\${Prod}"
      WebACLArn: !GetAtt Acl.Arn
`;

  test('IP sets, managed groups and the association are imported; the stage blocks SQL injection end to end', async (t) => {
    const { config, report } = importCloudFormation(tpl('http://127.0.0.1:9'));
    assert.deepEqual(config.wafIpSets, { 'blocked-ips': { addresses: ['203.0.113.0/24'] } });
    const api = (config.apis as { stages: Record<string, { waf?: string }> }[])[0]!;
    assert.equal(api.stages.prod?.waf, 'api-acl');
    assert.ok((config.wafAcls as Record<string, unknown>)['api-acl']);
    assert.match(report.format(), /AWSManagedRulesBotControlRuleSet is not mirrored/);
    await compiles(config);

    const up = await startSample('greeting');
    t.after(() => up.close());
    const live = importCloudFormation(tpl(up.url)).config;
    const gw = await startTestGateway(stringifyConfig(live));
    t.after(() => gw.close());
    const ok = await fetch(`${gw.url}/prod/api/greeting?name=Ann`);
    assert.equal(await ok.text(), '{"id":1,"content":"Hello, Ann!"}');
    const attack = await fetch(`${gw.url}/prod/api/greeting?name=${encodeURIComponent("x' OR 1=1 --")}`);
    assert.equal(attack.status, 403);
    assert.equal(await attack.text(), '{"message":"Forbidden"}');
  });
});
