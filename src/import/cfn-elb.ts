import type { CfnScope } from './cfn-scope.js';
import { hasUnresolved } from './cfn-intrinsics.js';
import { isObj, type Json } from './json.js';
import { cleanName } from './keys-plans.js';
import { pointer } from './report.js';

/**
 * The load balancer behind a VPC link, and Cloud Map (docs/aws-compatibility.md#load-balancers-and-cloud-map):
 * AWS::ElasticLoadBalancingV2::TargetGroup → an upstream (targets, health check), Listener + ListenerRule →
 * a listener (path-pattern / host-header rules, weighted forwards, fixed responses), AWS::ServiceDiscovery::*
 * → DNS names of the services registered there. Targets that only exist at run time (ECS tasks) come from
 * `--target NAME=HOST:PORT`, else from the Cloud Map DNS name their ECS service registers in.
 */

export const ELB_TYPES = [
  'AWS::ElasticLoadBalancingV2::LoadBalancer',
  'AWS::ElasticLoadBalancingV2::Listener',
  'AWS::ElasticLoadBalancingV2::ListenerRule',
  'AWS::ElasticLoadBalancingV2::TargetGroup',
  'AWS::ServiceDiscovery::PrivateDnsNamespace',
  'AWS::ServiceDiscovery::PublicDnsNamespace',
  'AWS::ServiceDiscovery::HttpNamespace',
  'AWS::ServiceDiscovery::Service',
  'AWS::ServiceDiscovery::Instance',
  'AWS::ECS::Service',
];

/** What an HTTP API private integration can name (listener ARN, Cloud Map service ARN), by logical id. */
export interface PrivateTargets {
  listeners: Map<string, string>;
  services: Map<string, string>;
}

/** ALB CreateTargetGroup defaults for HTTP/HTTPS target groups (ELBv2 API Reference). */
const HC_DEFAULTS = { path: '/', interval: 30, timeout: 5, healthy: 5, unhealthy: 2, matcher: '200' };

export function importLoadBalancers(s: CfnScope): PrivateTargets {
  const { byType, props, report, resources } = s;
  const idOf = (v: unknown): string | undefined => {
    if (typeof v !== 'string') return undefined;
    const id = /^arn:aws:resource:::(.+)$/.exec(v)?.[1] ?? v;
    return resources[id] ? id : undefined;
  };
  const given = s.opts.targets ?? {};
  const used = new Set<string>();
  const out: PrivateTargets = { listeners: new Map(), services: new Map() };

  // Cloud Map: service → DNS name (A/AAAA/SRV records in a DNS namespace).
  const dnsName = new Map<string, string>();
  const cloudMapName = new Map<string, string>();
  for (const [id] of byType('AWS::ServiceDiscovery::Service')) {
    const p = props(id);
    // NamespaceId is `Fn::GetAtt: [Namespace, Id]` (or a Ref): read the logical id from the template itself.
    const raw = resources[id]?.Properties ?? {};
    const ns = refTarget(raw.NamespaceId ?? (isObj(raw.DnsConfig) ? raw.DnsConfig.NamespaceId : undefined), resources);
    if (typeof p.Name === 'string') cloudMapName.set(id, p.Name);
    const nsName = ns ? props(ns).Name : undefined;
    if (typeof p.Name === 'string' && typeof nsName === 'string' && isObj(p.DnsConfig))
      dnsName.set(id, `${p.Name}.${nsName}`);
  }
  // ECS services: which target groups they register their tasks in, and their Cloud Map service.
  const ecsOf = new Map<string, { id: string; port: number | undefined; cloudMap: string | undefined; name: string }>();
  for (const [id] of byType('AWS::ECS::Service')) {
    const p = props(id);
    const reg = Array.isArray(p.ServiceRegistries) ? (p.ServiceRegistries[0] as Json | undefined) : undefined;
    const cloudMap = idOf(reg?.RegistryArn);
    for (const lb of Array.isArray(p.LoadBalancers) ? (p.LoadBalancers as Json[]) : []) {
      const tg = idOf(lb.TargetGroupArn);
      if (!tg) continue;
      const name = (cloudMap && cloudMapName.get(cloudMap)) ?? (typeof p.ServiceName === 'string' ? p.ServiceName : id);
      ecsOf.set(tg, { id, port: typeof lb.ContainerPort === 'number' ? lb.ContainerPort : undefined, cloudMap, name });
    }
  }

  // Target groups → upstreams.
  const upstreamOf = new Map<string, string>();
  for (const [id] of byType('AWS::ElasticLoadBalancingV2::TargetGroup')) {
    const p = props(id);
    const at = pointer('Resources', id, 'Properties');
    const ecs = ecsOf.get(id);
    const name = cleanName(ecs?.name ?? p.Name, cleanName(id, 'target-group'));
    const type = String(p.TargetType ?? 'instance');
    if (type === 'lambda' || type === 'alb') {
      report.unsupported(
        at,
        'TargetType',
        `${type} target groups are not supported; rules forwarding to it are left out`,
      );
      continue;
    }
    const scheme = String(p.Protocol ?? 'HTTP').toUpperCase() === 'HTTPS' ? 'https' : 'http';
    const port = typeof p.Port === 'number' ? p.Port : Number(p.Port) || ecs?.port;
    const aliases = [id, name, p.Name, ecs?.id, ecs?.cloudMap, ecs?.cloudMap && cloudMapName.get(ecs.cloudMap)];
    const cloudMapDns = ecs?.cloudMap ? dnsName.get(ecs.cloudMap) : undefined;
    if (cloudMapDns) aliases.push(cloudMapDns);
    const flag = aliases.find((a): a is string => typeof a === 'string' && a in given);
    let targets: string[] = [];
    let from: string;
    if (flag) {
      used.add(flag);
      targets = (given[flag] ?? []).map((t) => targetUrl(t, scheme, port));
      from = `--target ${flag}`;
    } else if (Array.isArray(p.Targets) && p.Targets.length && !hasUnresolved(p.Targets)) {
      targets = (p.Targets as Json[]).map((t) => targetUrl(String(t.Id), scheme, Number(t.Port) || port));
      from = 'the template’s Targets';
      if (type === 'instance')
        report.approximated(
          `${at}/Targets`,
          'Targets',
          'instance ids are used as host names; pass --target to give addresses',
        );
    } else if (cloudMapDns) {
      targets = [targetUrl(cloudMapDns, scheme, port)];
      from = `Cloud Map DNS name ${cloudMapDns}`;
      report.approximated(
        at,
        'targets',
        `the tasks of ${ecs?.id ?? name} get their addresses at run time: resolved from the Cloud Map DNS name ${cloudMapDns} (pass --target ${name}=HOST:PORT, repeatable, to give them)`,
      );
    } else {
      report.unsupported(
        at,
        'targets',
        `no targets the template can know (they are registered at run time${ecs ? ` by ECS service ${ecs.id}` : ''}): pass --target ${name}=HOST:PORT (repeatable); rules forwarding to it are left out`,
      );
      continue;
    }
    const upstream: Json = { targets: [...new Set(targets)].map((url) => ({ url })) };
    const hc = healthCheck(p, at, s);
    if (hc) upstream.healthCheck = hc;
    s.upstreams[name] = upstream as { targets: { url: string }[] };
    upstreamOf.set(id, name);
    if (ecs?.cloudMap) out.services.set(ecs.cloudMap, name);
    s.report.mapped(
      at,
      'AWS::ElasticLoadBalancingV2::TargetGroup',
      `upstream ${name}: ${targets.length} target(s) from ${from}${hc ? `; health check ${String(hc.path)} every ${Number(hc.intervalMs) / 1000} s, healthy after ${String(hc.healthyThreshold)}, unhealthy after ${String(hc.unhealthyThreshold)}, matcher ${String(hc.matcher)}` : ''}`,
    );
  }

  // Listeners and their rules → listeners.
  const rulesOf = new Map<string, { priority: number; rule: Json }[]>();
  for (const [id] of byType('AWS::ElasticLoadBalancingV2::ListenerRule')) {
    const p = props(id);
    const at = pointer('Resources', id, 'Properties');
    const listener = idOf(p.ListenerArn);
    if (!listener) continue;
    const conditions = conditionsOf(p.Conditions, at, s);
    if (!conditions) continue;
    const action = actionOf(p.Actions, `${at}/Actions`, upstreamOf, s);
    if (!action) {
      report.unsupported(
        at,
        'AWS::ElasticLoadBalancingV2::ListenerRule',
        'no action that can be mapped; rule left out',
      );
      continue;
    }
    const list = rulesOf.get(listener) ?? [];
    list.push({ priority: Number(p.Priority) || 50000, rule: { ...conditions, ...action } });
    rulesOf.set(listener, list);
  }
  for (const [id] of byType('AWS::ElasticLoadBalancingV2::Listener')) {
    const p = props(id);
    const at = pointer('Resources', id, 'Properties');
    const name = cleanName(id, 'listener');
    const rules = (rulesOf.get(id) ?? []).sort((a, b) => a.priority - b.priority).map((r) => r.rule);
    let def = actionOf(p.DefaultActions, `${at}/DefaultActions`, upstreamOf, s);
    if (!def && !rules.length) {
      report.unsupported(
        at,
        'AWS::ElasticLoadBalancingV2::Listener',
        'forwards only to target groups without targets (above): pass --target for them, or --vpc-link LINK=URL for the load balancer’s address; listener left out',
      );
      continue;
    }
    if (!def) {
      def = { fixedResponse: { statusCode: 503 } };
      report.unsupported(
        `${at}/DefaultActions`,
        'DefaultActions',
        'no default action that can be mapped; answered with 503',
      );
    }
    if (String(p.Protocol ?? 'HTTP').toUpperCase() === 'HTTPS')
      report.approximated(
        `${at}/Protocol`,
        'Protocol',
        'HTTPS: TLS ends at the gateway’s own listener; the certificate is not used',
      );
    s.listeners[name] = { rules, default: def };
    out.listeners.set(id, name);
    report.mapped(
      at,
      'AWS::ElasticLoadBalancingV2::Listener',
      `listener ${name}: ${rules.length} rule(s) by priority, and a default action`,
    );
  }
  for (const flag of Object.keys(given)) {
    if (!used.has(flag))
      report.unsupported(
        '',
        '--target',
        `${flag} is not a target group, ECS service or Cloud Map service of the template(s)${upstreamOf.size ? `; known: ${[...upstreamOf.values()].join(', ')}` : ''}`,
      );
  }
  return out;
}

/** The logical id a `Ref` or `Fn::GetAtt` (unevaluated) points at, if it is a resource here. */
function refTarget(v: unknown, resources: CfnScope['resources']): string | undefined {
  if (!isObj(v)) return undefined;
  const g = v['Fn::GetAtt'];
  const id =
    typeof v.Ref === 'string' ? v.Ref : Array.isArray(g) ? g[0] : typeof g === 'string' ? g.split('.')[0] : undefined;
  return typeof id === 'string' && resources[id] ? id : undefined;
}

/** `HOST:PORT`, `HOST` (the target group's port) or a URL → a target URL. */
function targetUrl(value: string, scheme: string, port: number | undefined): string {
  if (/^https?:\/\//i.test(value)) return value.replace(/\/+$/, '');
  const hasPort = /^\[.*\]:\d+$|^[^:[\]]+:\d+$/.test(value);
  const host = value.includes(':') && !value.startsWith('[') && !hasPort ? `[${value}]` : value;
  return `${scheme}://${host}${hasPort || port === undefined ? '' : `:${port}`}`;
}

function healthCheck(p: Json, at: string, s: CfnScope): Json | undefined {
  if (p.HealthCheckEnabled === false || p.HealthCheckEnabled === 'false') return undefined;
  const num = (v: unknown, d: number) => (v === undefined ? d : Number(v));
  const matcher = isObj(p.Matcher) ? p.Matcher : {};
  if (matcher.GrpcCode !== undefined)
    s.report.unsupported(
      `${at}/Matcher/GrpcCode`,
      'GrpcCode',
      'gRPC health checks are not supported; HTTP 200 is expected',
    );
  if (p.HealthCheckPort !== undefined && String(p.HealthCheckPort) !== 'traffic-port')
    s.report.approximated(
      `${at}/HealthCheckPort`,
      'HealthCheckPort',
      `probed on the traffic port, not ${String(p.HealthCheckPort)}`,
    );
  return {
    path: typeof p.HealthCheckPath === 'string' ? p.HealthCheckPath : HC_DEFAULTS.path,
    intervalMs: num(p.HealthCheckIntervalSeconds, HC_DEFAULTS.interval) * 1000,
    timeoutMs: num(p.HealthCheckTimeoutSeconds, HC_DEFAULTS.timeout) * 1000,
    healthyThreshold: num(p.HealthyThresholdCount, HC_DEFAULTS.healthy),
    unhealthyThreshold: num(p.UnhealthyThresholdCount, HC_DEFAULTS.unhealthy),
    matcher: typeof matcher.HttpCode === 'string' ? matcher.HttpCode.replace(/\s+/g, '') : HC_DEFAULTS.matcher,
  };
}

/** ListenerRule Conditions → `{ paths, hosts }`, or undefined (reported) when one can't be expressed. */
function conditionsOf(conds: unknown, at: string, s: CfnScope): Json | undefined {
  const out: { paths?: string[]; hosts?: string[] } = {};
  for (const [i, c] of (Array.isArray(conds) ? (conds as Json[]) : []).entries()) {
    const field = String(c.Field ?? '');
    const cfg =
      field === 'path-pattern' ? c.PathPatternConfig : field === 'host-header' ? c.HostHeaderConfig : undefined;
    const values = (Array.isArray(c.Values) ? c.Values : isObj(cfg) && Array.isArray(cfg.Values) ? cfg.Values : []).map(
      String,
    );
    if ((field !== 'path-pattern' && field !== 'host-header') || !values.length) {
      s.report.unsupported(
        `${at}/Conditions/${i}`,
        `condition ${field}`,
        'only path-pattern and host-header conditions are mapped; rule left out (its requests go to the next rules)',
      );
      return undefined;
    }
    const key = field === 'path-pattern' ? 'paths' : 'hosts';
    // Two conditions of one field must both match: keep the values common to both.
    out[key] = out[key] ? out[key].filter((v) => values.includes(v)) : values;
  }
  if (!out.paths && !out.hosts) {
    s.report.unsupported(`${at}/Conditions`, 'Conditions', 'no condition; rule left out');
    return undefined;
  }
  return out;
}

/** Listener actions → `{ forward }` or `{ fixedResponse }` (the first by Order), or undefined (reported). */
function actionOf(actions: unknown, at: string, upstreamOf: Map<string, string>, s: CfnScope): Json | undefined {
  const list = (Array.isArray(actions) ? (actions as Json[]) : []).map((a, i) => ({ a, i }));
  list.sort((x, y) => (Number(x.a.Order) || 0) - (Number(y.a.Order) || 0));
  for (const { a, i } of list) {
    const type = String(a.Type ?? '');
    if (type === 'fixed-response') {
      const f = isObj(a.FixedResponseConfig) ? a.FixedResponseConfig : {};
      return {
        fixedResponse: {
          statusCode: Number(f.StatusCode ?? 200),
          ...(typeof f.ContentType === 'string' ? { contentType: f.ContentType } : {}),
          ...(typeof f.MessageBody === 'string' ? { body: f.MessageBody } : {}),
        },
      };
    }
    if (type === 'forward') {
      const fc = isObj(a.ForwardConfig) ? a.ForwardConfig : {};
      const groups = Array.isArray(fc.TargetGroups)
        ? (fc.TargetGroups as Json[]).map((g) => ({
            tg: g.TargetGroupArn,
            weight: g.Weight === undefined ? 1 : Number(g.Weight),
          }))
        : [{ tg: a.TargetGroupArn, weight: 1 }];
      if (isObj(fc.TargetGroupStickinessConfig) && fc.TargetGroupStickinessConfig.Enabled)
        s.report.approximated(
          `${at}/${i}/ForwardConfig/TargetGroupStickinessConfig`,
          'stickiness',
          'not sticky: each request is picked by weight',
        );
      const forward = groups.flatMap((g) => {
        const tg = typeof g.tg === 'string' ? (/^arn:aws:resource:::(.+)$/.exec(g.tg)?.[1] ?? g.tg) : '';
        const upstream = upstreamOf.get(tg);
        return upstream ? [{ upstream, weight: g.weight }] : [];
      });
      if (forward.length && forward.some((f) => f.weight > 0)) {
        if (forward.length < groups.length)
          s.report.unsupported(
            `${at}/${i}`,
            'forward',
            'some target groups are not imported; their share goes to the others',
          );
        return { forward };
      }
      continue;
    }
    s.report.unsupported(`${at}/${i}`, `action ${type}`, `${type} actions are not supported`);
  }
  return undefined;
}
