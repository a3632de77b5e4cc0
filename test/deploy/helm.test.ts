import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { ROOT } from '../helpers/cli.js';
import { findBinary } from '../helpers/require-binary.js';
import { renderHelm } from './files.js';
import { checkObjects, type K8s, manifestFiles, parseManifests } from './k8s.js';

// There is no helm binary here (nor a Debian package for it): the chart keeps to a small template
// subset that test/deploy/files.ts renderHelm implements, and its rendering is compared with
// deploy/kubernetes object by object. `helm lint` / `helm template` are not run.

const CHART = join(ROOT, 'deploy/helm/portico');
const chart = parse(readFileSync(join(CHART, 'Chart.yaml'), 'utf8')) as Record<string, string>;
const defaults = parse(readFileSync(join(CHART, 'values.yaml'), 'utf8')) as Record<string, unknown>;

function render(values: Record<string, unknown> = defaults, release = 'portico'): K8s[] {
  const scope = {
    Values: values,
    Release: { Name: release, Namespace: 'portico' },
    Chart: { Name: chart.name, Version: chart.version, AppVersion: chart.appVersion },
  };
  const dir = join(CHART, 'templates');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => parseManifests(renderHelm(readFileSync(join(dir, f), 'utf8'), scope, f), f));
}

/** kind/name, how the objects are matched. */
const key = (o: K8s) => `${o.kind}/${o.metadata.name}`;

describe('deploy/helm/portico', () => {
  test('Chart.yaml: apiVersion v2, the package version as appVersion', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.equal(chart.apiVersion, 'v2');
    assert.equal(chart.name, 'portico');
    assert.match(chart.version ?? '', /^\d+\.\d+\.\d+$/);
    assert.equal(chart.appVersion, pkg.version);
    if (!findBinary('helm'))
      process.stderr.write('\n  note: no helm binary; `helm lint` and `helm template` not run\n');
  });

  test('the defaults render the objects of deploy/kubernetes, field for field', async () => {
    const rendered = render();
    const files = manifestFiles().filter((o) => o.kind !== 'Namespace');
    assert.deepEqual(rendered.map(key).sort(), files.map(key).sort());
    for (const o of rendered)
      assert.deepEqual(
        o,
        files.find((f) => key(f) === key(o)),
        key(o),
      );
    await checkObjects(rendered);
  });

  test('another release name renames every object and keeps the references between them', async () => {
    const rendered = render(defaults, 'edge');
    assert.ok(rendered.every((o) => o.metadata.name.startsWith('edge')));
    await checkObjects(rendered, 'edge');
  });

  test('redis.enabled false with redis.url: no StatefulSet, the URL on the container', () => {
    const values = structuredClone(defaults) as { redis: Record<string, unknown> };
    values.redis.enabled = false;
    values.redis.url = 'redis://redis.example:6379';
    const rendered = render(values);
    assert.ok(!rendered.some((o) => o.kind === 'StatefulSet'));
    const c = rendered.find((o) => o.kind === 'Deployment')?.spec.template.spec.containers[0];
    assert.deepEqual(
      c.env.find((e: { name: string }) => e.name === 'PORTICO_REDIS_URL'),
      { name: 'PORTICO_REDIS_URL', value: 'redis://redis.example:6379' },
    );
  });

  test('the renderer refuses what it does not implement, so the chart stays in the checked subset', () => {
    assert.throws(() => renderHelm('{{ include "x" . }}', {}), /unsupported expression/);
    assert.throws(() => renderHelm('{{ .Values.a | upper }}', { Values: { a: 'x' } }), /unsupported function "upper"/);
    assert.throws(() => renderHelm('{{ .Values.missing }}', { Values: {} }), /no value \.Values\.missing/);
    assert.equal(renderHelm('a:\n  {{- .Values.b | nindent 2 }}\n', { Values: { b: 'x\ny' } }), 'a:\n  x\n  y\n');
    const notes = readFileSync(join(CHART, 'templates/NOTES.txt'), 'utf8');
    const scope = { Values: defaults, Release: { Name: 'portico' }, Chart: { AppVersion: chart.appVersion } };
    assert.match(renderHelm(notes, scope, 'NOTES.txt'), /port-forward deploy\/portico 9876/);
  });
});
