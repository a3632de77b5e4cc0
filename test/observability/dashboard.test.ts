import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { startTestGateway } from '../helpers/gateway.js';
import { scrape } from './helpers.js';

test('the Grafana dashboard queries only metrics the gateway exports', async () => {
  const dash = JSON.parse(await readFile(new URL('../../deploy/grafana/portico.json', import.meta.url), 'utf8')) as {
    panels: { type: string; targets?: { expr: string }[] }[];
  };
  const exprs = dash.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
  assert.ok(exprs.length > 20);
  const used = new Set(exprs.flatMap((e) => [...e.matchAll(/\b(portico_[a-z0-9_]+)/g)].map((m) => m[1] as string)));
  const t = await startTestGateway(`version: 1
apis:
  - name: a
    type: http
    stages: { $default: {} }
    routes: [ { route: $default, integration: { type: mock } } ]
`);
  try {
    const { text } = await scrape(t.gw);
    const exported = new Set(
      [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].flatMap((m) => {
        const name = m[1] as string;
        return m[2] === 'histogram' ? [`${name}_bucket`, `${name}_count`, `${name}_sum`] : [name];
      }),
    );
    const missing = [...used].filter((n) => !exported.has(n));
    assert.deepEqual(missing, []);
  } finally {
    await t.close();
  }
});
