import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { loadConfigText } from '../../src/features.js';
import { ROOT, runCli } from '../helpers/cli.js';
import { last, readDockerfile } from './files.js';

// What every rendering of the Kubernetes objects must satisfy: deploy/kubernetes as files, through
// `kubectl kustomize`, and the Helm chart.

export type K8s = {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
} & Record<
  string,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  any
>;
export const K8S_DIR = join(ROOT, 'deploy/kubernetes');

export function parseManifests(text: string, where: string): K8s[] {
  return parseAllDocuments(text)
    .map((d) => {
      if (d.errors.length) throw new Error(`${where}: ${d.errors[0]?.message}`);
      return d.toJS() as K8s | null;
    })
    .filter((o): o is K8s => o !== null);
}

export function manifestFiles(): K8s[] {
  return readdirSync(K8S_DIR)
    .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
    .flatMap((f) => parseManifests(readFileSync(join(K8S_DIR, f), 'utf8'), f));
}

const byKind = (objs: K8s[], kind: string, name?: string) => {
  const o = objs.find((x) => x.kind === kind && (name === undefined || x.metadata.name === name));
  assert.ok(o, `a ${kind}${name ? ` ${name}` : ''}`);
  return o;
};

/** The checks every rendering (these files, the Helm chart) must pass. */
export async function checkObjects(objs: K8s[], release = 'portico'): Promise<void> {
  for (const o of objs) {
    assert.ok(
      o.apiVersion && o.kind && o.metadata?.name,
      `apiVersion, kind, metadata.name: ${JSON.stringify(o).slice(0, 80)}`,
    );
  }
  const deploy = byKind(objs, 'Deployment', release);
  const pod = deploy.spec.template.spec;
  const labels = deploy.spec.template.metadata.labels;
  for (const [k, v] of Object.entries(deploy.spec.selector.matchLabels))
    assert.equal(labels[k], v, 'selector matches the pod');
  const c = pod.containers.find((x: K8s) => x.name === 'portico');
  const args: string[] = c.args;
  const flag = (f: string) => args[args.indexOf(f) + 1] as string;

  // The image's command, with the file watch on (ConfigMap updates are reloads).
  const cmd = last(readDockerfile().stages.at(-1) ?? [], 'CMD')?.args ?? [];
  assert.deepEqual(
    args,
    cmd.filter((a) => a !== '--no-watch'),
    "the image's CMD without --no-watch",
  );
  const help = runCli(['start', '--help']).stdout;
  for (const f of args.filter((a) => a.startsWith('-')))
    assert.match(help, new RegExp(`\\s${f}[\\s,]`), `start takes ${f}`);

  // Probes: the admin listener's port, by name, and the two health paths.
  const port = (name: string) => c.ports.find((p: { name: string }) => p.name === name)?.containerPort;
  assert.equal(port('admin'), Number(flag('--admin-listen').split(':').at(-1)));
  assert.equal(port('http'), Number(flag('--listen').split(':').at(-1)));
  assert.deepEqual(c.livenessProbe.httpGet, { path: '/healthz', port: 'admin' });
  assert.deepEqual(c.readinessProbe.httpGet, { path: '/readyz', port: 'admin' });
  assert.deepEqual(c.startupProbe.httpGet, { path: '/healthz', port: 'admin' });

  // The config from the ConfigMap, mounted as a directory (a subPath mount never sees updates).
  const configFile = flag('-c');
  const mount = c.volumeMounts.find((m: { mountPath: string }) => m.mountPath === dirname(configFile));
  assert.ok(mount && !mount.subPath, 'the config dir is a whole-volume mount');
  const vol = pod.volumes.find((v: { name: string }) => v.name === mount.name);
  const cm = byKind(objs, 'ConfigMap', vol.configMap.name);
  const text = cm.data[configFile.split('/').at(-1) as string];
  assert.ok(text, 'the ConfigMap has the file -c names');
  const env: Record<string, string> = { PORTICO_ADMIN_TOKEN: 'k8s-test-admin-token-0123456789' };
  for (const e of c.env) if (e.value) env[e.name] = e.value;
  const loaded = loadConfigText(text, configFile, env);
  assert.ok(
    c.env.some((e: K8s) => e.name === 'PORTICO_ADMIN_TOKEN' && e.valueFrom?.secretKeyRef),
    'the token from a Secret',
  );

  // The data dir is writable (emptyDir), the root filesystem is not; non-root.
  const data = c.volumeMounts.find((m: { mountPath: string }) => m.mountPath === flag('--data-dir'));
  assert.ok(pod.volumes.find((v: { name: string }) => v.name === data?.name)?.emptyDir, 'the data dir is an emptyDir');
  assert.equal(c.securityContext.readOnlyRootFilesystem, true);
  assert.equal(c.securityContext.allowPrivilegeEscalation, false);
  assert.equal(pod.securityContext.runAsNonRoot, true);

  // Stopping: preStop + the drain fit in the grace period.
  const preStop = Number(c.lifecycle.preStop.exec.command.at(-1));
  const drainS = loaded.config.server.timeouts.drainMs / 1000;
  assert.ok(
    pod.terminationGracePeriodSeconds > preStop + drainS,
    `${pod.terminationGracePeriodSeconds} s > ${preStop} + ${drainS}`,
  );

  const svc = byKind(objs, 'Service', release);
  for (const [k, v] of Object.entries(svc.spec.selector)) assert.equal(labels[k], v, 'the Service selects the pods');
  assert.ok(
    svc.spec.ports.every((p: { targetPort: string }) => port(p.targetPort)),
    'Service ports name container ports',
  );
  const pdb = byKind(objs, 'PodDisruptionBudget');
  for (const [k, v] of Object.entries(pdb.spec.selector.matchLabels))
    assert.equal(labels[k], v, 'the PDB selects the pods');
  const hpa = byKind(objs, 'HorizontalPodAutoscaler');
  assert.deepEqual(hpa.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: release });
  assert.ok(hpa.spec.minReplicas > (pdb.spec.maxUnavailable ?? 0), 'a disruption leaves pods serving');
  assert.equal(loaded.config.store.kind, 'redis');
  assert.equal(loaded.config.store.expectedNodes, hpa.spec.minReplicas, 'expectedNodes is the HPA minimum');

  // Redis for the cluster: the store URL names the Redis Service, which selects the StatefulSet.
  const redisHost = new URL(loaded.config.store.url as string).hostname;
  const redisSvc = byKind(objs, 'Service', redisHost);
  const sts = byKind(objs, 'StatefulSet', redisHost);
  for (const [k, v] of Object.entries(redisSvc.spec.selector)) assert.equal(sts.spec.template.metadata.labels[k], v);
  assert.ok(sts.spec.volumeClaimTemplates?.length, 'Redis data on a persistent volume');
  assert.ok(sts.spec.template.spec.containers[0].args.includes('--appendonly'));
}
