import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { importCloudFormationStacks } from '../../src/import/cfn-stacks.js';
import { importCloudFormation } from '../../src/import/cloudformation.js';
import { call } from '../helpers/http-call.js';
import { fixture } from '../helpers/fixtures.js';
import { startTestGateway, startUpstream } from '../helpers/gateway.js';
import { stringify } from 'yaml';
import { compiles } from './import-helpers.js';

const cfn = (name: string) => readFileSync(fixture('corpus', 'cloudformation', name), 'utf8');
const FARGATE = (s: string) =>
  cfn(`aws-samples_http-api-aws-fargate-cdk__SYNTHESIZED-by-us__cdk-singleAccount__${s}.template.json`);
const json = (v: unknown) => JSON.stringify(v);

describe('CloudFormation import: several stacks, load balancers, Cloud Map', () => {
  test('a parameter without a value takes another stack’s output of that name; pointers name their file', async () => {
    const network = json({
      Resources: { Link: { Type: 'AWS::ApiGatewayV2::VpcLink', Properties: { Name: 'l', SubnetIds: [] } } },
      Outputs: { BackendUrl: { Value: 'http://127.0.0.1:9/base' } },
    });
    const api = json({
      Parameters: { BackendUrl: { Type: 'String' } },
      Resources: {
        Api: { Type: 'AWS::ApiGatewayV2::Api', Properties: { Name: 'a', ProtocolType: 'HTTP' } },
        Int: {
          Type: 'AWS::ApiGatewayV2::Integration',
          Properties: { ApiId: { Ref: 'Api' }, IntegrationType: 'HTTP_PROXY', IntegrationUri: { Ref: 'BackendUrl' } },
        },
        R: {
          Type: 'AWS::ApiGatewayV2::Route',
          Properties: { ApiId: { Ref: 'Api' }, RouteKey: 'GET /x', Target: 'integrations/Int' },
        },
        R2: {
          Type: 'AWS::ApiGatewayV2::Route',
          Properties: {
            ApiId: { Ref: 'Api' },
            RouteKey: 'GET /y',
            Target: 'integrations/Int',
            AuthorizationType: 'AWS_IAM',
          },
        },
      },
    });
    const { config, report } = importCloudFormationStacks([
      { file: 'api.json', text: api },
      { file: 'network.json', text: network },
    ]);
    await compiles(config);
    assert.match(json(config), /"uri":"http:\/\/127.0.0.1:9\/base"/);
    assert.ok(
      report.notes.some((n) => n.pointer.startsWith('api.json#/Resources/R2/')),
      json(report.notes),
    );
    assert.match(report.format(), /parameters BackendUrl from other stacks' outputs/);
    // Alone, the template asks for it.
    assert.match(importCloudFormation(api).report.format(), /parameter BackendUrl \(pass --param BackendUrl=VALUE\)/);
  });

  test('the same logical id in two stacks, differently, is an error naming both files', () => {
    const a = json({ Resources: { X: { Type: 'AWS::S3::Bucket', Properties: { A: 1 } } } });
    const b = json({ Resources: { X: { Type: 'AWS::S3::Bucket', Properties: { A: 2 } } } });
    assert.throws(
      () =>
        importCloudFormationStacks([
          { file: 'a.json', text: a },
          { file: 'b.json', text: b },
        ]),
      /b\.json: Resources X is also in a\.json, differently/,
    );
  });

  test('HttpApiStack alone: only the VPC link is asked for, never the listener ARN it does not use', async () => {
    const alone = importCloudFormation(FARGATE('HttpApiStack'));
    const text = alone.report.format();
    assert.match(text, /import FargateVpclinkStack:ExportsOutputRefHttpVpcLinkFC7CBBA9/);
    assert.doesNotMatch(text, /Listener/);
    const link = 'FargateVpclinkStack:ExportsOutputRefHttpVpcLinkFC7CBBA9';
    const given = importCloudFormation(FARGATE('HttpApiStack'), {
      params: { [link]: 'link-1' },
      vpcLinks: { 'link-1': 'http://127.0.0.1:9' },
    });
    await compiles(given.config);
    assert.equal(given.report.hasUnsupported, false, given.report.format());
    assert.match(
      json(given.config),
      /"route":"ANY \/\{proxy\+\}","integration":\{"type":"http_proxy","upstream":"vpc-link-1"\}/,
    );
  });

  test('--target names a target group by its ECS service; an unknown --target is reported', async () => {
    const text = cfn('aws-samples_serverless-patterns__apigw-vpclink-pvt-alb__template.yml');
    const r = importCloudFormation(text, {
      targets: { ECSService: ['127.0.0.1:8081', '127.0.0.1:8082'], nope: ['x:1'] },
    });
    await compiles(r.config);
    const up = (r.config.upstreams as Record<string, { targets: { url: string }[] }>).ECSService;
    assert.deepEqual(up?.targets, [{ url: 'http://127.0.0.1:8081' }, { url: 'http://127.0.0.1:8082' }]);
    assert.match(json(r.config.apis), /"listener":"LoadBalancerListener"/);
    assert.match(r.report.format(), /--target: nope is not a target group, ECS service or Cloud Map service/);
    assert.doesNotMatch(r.report.format(), /VPC_LINK/);
  });

  test('ListenerRule conditions and actions: host and path, weighted forward, an unmappable rule reported and left out', async () => {
    const tg = (port: number, extra = {}) => ({
      Type: 'AWS::ElasticLoadBalancingV2::TargetGroup',
      Properties: { Port: port, Protocol: 'HTTP', TargetType: 'ip', Targets: [{ Id: '127.0.0.1' }], ...extra },
    });
    const rule = (priority: number, conditions: unknown[], actions: unknown[]) => ({
      Type: 'AWS::ElasticLoadBalancingV2::ListenerRule',
      Properties: { ListenerArn: { Ref: 'L' }, Priority: priority, Conditions: conditions, Actions: actions },
    });
    const template = json({
      Resources: {
        Blue: tg(9001, {
          Name: 'blue',
          HealthCheckPath: '/hc',
          UnhealthyThresholdCount: 3,
          Matcher: { HttpCode: '200-299' },
        }),
        Green: tg(9002, { Name: 'green', HealthCheckEnabled: false }),
        L: {
          Type: 'AWS::ElasticLoadBalancingV2::Listener',
          Properties: {
            Port: 80,
            Protocol: 'HTTP',
            DefaultActions: [
              { Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404', MessageBody: 'none' } },
            ],
          },
        },
        Header: rule(
          1,
          [{ Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'x', Values: ['y'] } }],
          [{ Type: 'forward', TargetGroupArn: { Ref: 'Green' } }],
        ),
        Canary: rule(
          5,
          [
            { Field: 'host-header', HostHeaderConfig: { Values: ['shop.*'] } },
            { Field: 'path-pattern', Values: ['/cart*'] },
          ],
          [
            {
              Type: 'forward',
              ForwardConfig: {
                TargetGroups: [
                  { TargetGroupArn: { Ref: 'Blue' }, Weight: 9 },
                  { TargetGroupArn: { Ref: 'Green' }, Weight: 1 },
                ],
              },
            },
          ],
        ),
        First: rule(
          2,
          [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/green/*'] } }],
          [{ Type: 'forward', TargetGroupArn: { Ref: 'Green' } }],
        ),
      },
    });
    const { config, report } = importCloudFormation(template);
    const listeners = config.listeners as Record<string, unknown>;
    assert.deepEqual(listeners.L, {
      rules: [
        { paths: ['/green/*'], forward: [{ upstream: 'green', weight: 1 }] },
        {
          hosts: ['shop.*'],
          paths: ['/cart*'],
          forward: [
            { upstream: 'blue', weight: 9 },
            { upstream: 'green', weight: 1 },
          ],
        },
      ],
      default: { fixedResponse: { statusCode: 404, body: 'none' } },
    });
    const ups = config.upstreams as Record<string, { targets: unknown; healthCheck?: unknown }>;
    assert.deepEqual(ups.blue, {
      targets: [{ url: 'http://127.0.0.1:9001' }],
      healthCheck: {
        path: '/hc',
        intervalMs: 30000,
        timeoutMs: 5000,
        healthyThreshold: 5,
        unhealthyThreshold: 3,
        matcher: '200-299',
      },
    });
    assert.equal(ups.green?.healthCheck, undefined);
    assert.ok(
      report.notes.some((n) => n.pointer === '/Resources/Header/Properties/Conditions/0' && n.level === 'unsupported'),
    );
    // The listener serves: put it behind an API and ask it.
    const blue = await startUpstream((_req, res) => res.end('blue'));
    const green = await startUpstream((_req, res) => res.end('green'));
    try {
      (ups.blue as { targets: unknown }).targets = [{ url: blue.url }];
      (ups.green as { targets: unknown }).targets = [{ url: green.url }];
      const gw = await startTestGateway(
        stringify({
          ...config,
          apis: [
            {
              name: 'a',
              type: 'http',
              stages: { $default: {} },
              routes: [{ route: 'ANY /{proxy+}', integration: { type: 'http_proxy', listener: 'L' } }],
            },
          ],
        }),
      );
      try {
        const body = async (path: string, host = 'localhost') => {
          const r = await call(gw.port, 'GET', path, { host });
          return `${r.status} ${r.body}`;
        };
        assert.equal(await body('/green/1'), '200 green');
        assert.equal(await body('/cart'), '404 none');
        const picks = [];
        for (let i = 0; i < 10; i++) picks.push(await body('/cart/1', 'shop.example'));
        assert.equal(picks.filter((p) => p === '200 green').length, 1);
        assert.equal(picks.filter((p) => p === '200 blue').length, 9);
      } finally {
        await gw.close();
      }
    } finally {
      await blue.close();
      await green.close();
    }
  });

  test('host and port together: a host given as HOST:PORT where the template adds its own port', async () => {
    const template = json({
      Resources: {
        Api: { Type: 'AWS::ApiGatewayV2::Api', Properties: { Name: 'a', ProtocolType: 'HTTP' } },
        Int: {
          Type: 'AWS::ApiGatewayV2::Integration',
          Properties: {
            ApiId: { Ref: 'Api' },
            IntegrationType: 'HTTP_PROXY',
            IntegrationUri: { 'Fn::Sub': 'http://${Backend.PublicDnsName}:8080/{proxy}' },
          },
        },
        R: {
          Type: 'AWS::ApiGatewayV2::Route',
          Properties: { ApiId: { Ref: 'Api' }, RouteKey: 'ANY /{proxy+}', Target: 'integrations/Int' },
        },
      },
    });
    const { config, report } = importCloudFormation(template, {
      resources: { 'Backend.PublicDnsName': '127.0.0.1:4000' },
    });
    await compiles(config);
    assert.match(json(config), /"uri":"http:\/\/127.0.0.1:4000\/\{proxy\}"/);
    assert.match(
      report.format(),
      /approximated .*port: the host was given with its port \(4000\); the template's port 8080 is not used/,
    );
  });
});
