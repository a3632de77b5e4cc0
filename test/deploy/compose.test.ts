import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { loadConfigFile } from '../../src/features.js';
import { TrustedProxies } from '../../src/server/client-ip.js';
import { ROOT } from '../helpers/cli.js';

// No Docker here (so no `docker compose config`): the compose file is read as YAML and its numbers
// checked against the config the nodes load, through the real loader.

interface Service {
  command?: string[];
  stop_grace_period?: string;
  healthcheck?: { test?: string[]; disable?: boolean };
  depends_on?: Record<string, { condition: string }>;
  networks?: string[];
  image?: string;
}
const compose = parse(readFileSync(join(ROOT, 'deploy/compose.yaml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
  networks: Record<string, { ipam: { config: { subnet: string }[] } }>;
};
const nodes = Object.entries(compose.services).filter(([name]) => name.startsWith('portico-'));
const env = { PORTICO_ADMIN_TOKEN: 'compose-test-token-0123456789' };

/** Compose durations: 40s, 1m30s, 500ms. */
function ms(d: string): number {
  let total = 0;
  for (const [, n, unit] of d.matchAll(/(\d+)(ms|s|m|h)/g))
    total += Number(n) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit as 'ms' | 's' | 'm' | 'h'];
  return total;
}

describe('deploy/compose.yaml', () => {
  test('each node gets longer than the drain to stop before docker sends SIGKILL', async () => {
    const loaded = await loadConfigFile(join(ROOT, 'deploy/portico.compose.yaml'), env);
    const drain = loaded.config.server.timeouts.drainMs;
    assert.equal(nodes.length, 3);
    for (const [name, s] of nodes) {
      assert.ok(s.stop_grace_period, `${name} has stop_grace_period (docker's default is 10 s)`);
      assert.ok(ms(s.stop_grace_period) > drain, `${name}: ${s.stop_grace_period} > drainMs ${drain}`);
    }
  });

  test("the nodes trust their nginx's forwarded headers, from the compose network only", async () => {
    const loaded = await loadConfigFile(join(ROOT, 'deploy/portico.compose.yaml'), env);
    const subnets = Object.values(compose.networks).flatMap((n) => n.ipam.config.map((c) => c.subnet));
    assert.deepEqual(loaded.config.server.trustedProxies, subnets, 'trustedProxies is the compose subnet');
    for (const [name, s] of Object.entries(compose.services))
      assert.deepEqual(s.networks, Object.keys(compose.networks), `${name} is on the fixed-subnet network`);
    const trusted = new TrustedProxies(loaded.config.server.trustedProxies);
    // nginx gets an address in the subnet; a client's own X-Forwarded-For from outside is not believed.
    assert.equal(trusted.clientIp('172.28.0.7', '203.0.113.9'), '203.0.113.9');
    assert.equal(trusted.clientIp('198.51.100.1', '203.0.113.9'), '198.51.100.1');
    const nginx = readFileSync(join(ROOT, 'deploy/nginx.conf'), 'utf8');
    assert.match(nginx, /proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;/);
  });

  test('healthchecks: nodes by /readyz with node, Redis by ping, nginx waits for healthy nodes', () => {
    for (const [name, s] of nodes) {
      assert.deepEqual(s.healthcheck?.test, ['CMD', 'node', 'healthcheck.mjs', 'http://127.0.0.1:9876/readyz'], name);
      const admin = s.command?.[(s.command?.indexOf('--admin-listen') ?? 0) + 1];
      assert.equal(admin, '0.0.0.0:9876', `${name}: the healthcheck asks the admin listener's port`);
      assert.equal(s.depends_on?.redis?.condition, 'service_healthy');
    }
    assert.deepEqual(compose.services.redis?.healthcheck?.test, ['CMD', 'redis-cli', 'ping']);
    for (const [name] of nodes) assert.equal(compose.services.nginx?.depends_on?.[name]?.condition, 'service_healthy');
    // The samples run from the Portico image, whose HEALTHCHECK would ask an admin listener they lack.
    for (const [name, s] of Object.entries(compose.services))
      if (s.image === 'portico:local' && !name.startsWith('portico-'))
        assert.equal(s.healthcheck?.disable, true, `${name} turns the image's healthcheck off`);
  });
});
