import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test, describe } from 'node:test';
import { requireBinary } from '../helpers/require-binary.js';
import { checkObjects, K8S_DIR, manifestFiles, parseManifests } from './k8s.js';

// No cluster here: `kubectl apply --dry-run=client` needs an API server for discovery, so the manifests
// are rendered with `kubectl kustomize` (offline) and checked as objects: probes against the
// container's args, the drain against the grace period, selectors against labels, the ConfigMap
// through the real config loader (test/deploy/k8s.ts).

describe('deploy/kubernetes', () => {
  test('the manifests parse and pass the checks', async () => {
    await checkObjects(manifestFiles());
  });

  test('`kubectl kustomize` renders every file kustomization.yaml lists, in namespace portico', async (t) => {
    const kubectl = requireBinary(t, 'kubectl', 'apt-get install kubernetes-client');
    if (!kubectl) return;
    const out = execFileSync(kubectl, ['kustomize', K8S_DIR], { encoding: 'utf8' });
    const objs = parseManifests(out, 'kubectl kustomize');
    const listed = manifestFiles();
    assert.deepEqual(
      objs.map((o) => `${o.kind}/${o.metadata.name}`).sort(),
      listed.map((o) => `${o.kind}/${o.metadata.name}`).sort(),
      'kustomization.yaml lists every manifest',
    );
    for (const o of objs) if (o.kind !== 'Namespace') assert.equal(o.metadata.namespace, 'portico');
    await checkObjects(objs);
  });
});
