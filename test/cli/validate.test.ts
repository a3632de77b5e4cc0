import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { startTestGateway } from '../helpers/gateway.js';

/**
 * Issue 21: `portico validate` makes the checks `portico start` makes (one function, startChecks),
 * CIDR errors carry their config path and position (ipaddr.js, one parser), and `validate --json`.
 */

const API = `apis:
  - name: api
    type: http
    stages: { $default: {} }
    routes:
      - { route: GET /ok, integration: { type: mock, body: ok } }
`;

interface JsonReport {
  ok: boolean;
  file: string;
  apis?: number;
  routes?: number;
  warnings?: string[];
  errors?: { path: string; segments: (string | number)[]; message: string; line?: number; column?: number }[];
}

describe('validate and start share their checks', () => {
  let dir: string;
  const file = (name: string) => join(dir, name);
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'portico-validate-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('an admin listener off loopback without admin.token: validate exits 1, start refuses, same message', async () => {
    await writeFile(file('public-admin.yaml'), `version: 1\nadmin: { listen: "0.0.0.0:0" }\n${API}`);
    const r = runCli(['validate', '-c', file('public-admin.yaml')]);
    assert.equal(r.code, 1, r.stdout);
    const message = /admin\.token: admin\.listen 0\.0\.0\.0:0 is not loopback, so admin\.token must be set explicitly/;
    assert.match(r.stderr, message);
    await assert.rejects(startTestGateway(`version: 1\n${API}`, { adminListen: '0.0.0.0:0' }), (err: Error) =>
      message.test(err.message),
    );
  });

  test('a bad trustedProxies range is located: path, line and column, from validate and from start', async () => {
    const yaml = `version: 1
server:
  trustedProxies: [10.0.0.1, "192.168.0.0/16", 10.0.0.0/33, "fe80::1%eth0", "10.1"]
${API}`;
    await writeFile(file('proxies.yaml'), yaml);
    const r = runCli(['validate', '-c', file('proxies.yaml')]);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /proxies\.yaml:3:\d+ server\.trustedProxies\[2\]: "10\.0\.0\.0\/33": prefix out of range \(0-32 for IPv4\)/,
    );
    assert.match(r.stderr, /server\.trustedProxies\[3\]: "fe80::1%eth0": zone ids \(%\.\.\.\) are not supported/);
    assert.match(r.stderr, /server\.trustedProxies\[4\]: "10\.1": not an IPv4 or IPv6 address/);
    assert.doesNotMatch(r.stderr, /trustedProxies\[[01]\]/);
    await assert.rejects(startTestGateway(yaml), (err: Error) =>
      /server\.trustedProxies\[2\]: "10\.0\.0\.0\/33": prefix out of range/.test(err.message),
    );
  });

  test('listeners sharing an address are refused by both', async () => {
    const yaml = `version: 1
server: { listen: "0.0.0.0:18080" }
admin: { listen: "127.0.0.1:18080" }
${API}`;
    await writeFile(file('clash.yaml'), yaml);
    const r = runCli(['validate', '-c', file('clash.yaml')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /admin\.listen: 127\.0\.0\.1:18080 is the address of server\.listen \(0\.0\.0\.0:18080\)/);
    await assert.rejects(
      startTestGateway(yaml, { listen: '0.0.0.0:18080', adminListen: '127.0.0.1:18080' }),
      /admin\.listen: 127\.0\.0\.1:18080 is the address of server\.listen/,
    );
  });

  test('--json: errors with path, segments, line and column; compile errors and start checks together', async () => {
    await writeFile(
      file('both.yaml'),
      `version: 1
admin: { listen: "0.0.0.0:0" }
apis:
  - name: api
    type: http
    stages: { $default: {} }
    routes:
      - { route: GET /ok, integration: { type: http_proxy, upstream: nowhere } }
`,
    );
    const r = runCli(['validate', '--json', '-c', file('both.yaml')]);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stderr, '');
    const report = JSON.parse(r.stdout) as JsonReport;
    assert.equal(report.ok, false);
    assert.equal(report.file, file('both.yaml'));
    const paths = (report.errors ?? []).map((e) => e.path);
    assert.ok(paths.includes('admin.token'), paths.join());
    assert.ok(
      paths.some((p) => p.startsWith('apis[0].routes[0].integration')),
      paths.join(),
    );
    const admin = report.errors?.find((e) => e.path === 'admin.token');
    assert.deepEqual(admin?.segments, ['admin', 'token']);
    assert.equal(admin?.line, 2);

    await writeFile(file('good.yaml'), `version: 1\n${API}`);
    const ok = runCli(['validate', '--json', '-c', file('good.yaml')]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(JSON.parse(ok.stdout), { ok: true, file: file('good.yaml'), apis: 1, routes: 1, warnings: [] });

    const missing = runCli(['validate', '--json', '-c', file('absent.yaml')]);
    assert.equal(missing.code, 1);
    const m = JSON.parse(missing.stdout) as JsonReport;
    assert.equal(m.ok, false);
    assert.match(m.errors?.[0]?.message ?? '', /cannot read config: file not found/);
  });
});
