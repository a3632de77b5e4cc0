import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { requireBinary } from '../helpers/require-binary.js';
import { type DashboardFixture, dashboardConfig, startDashboardFixture, TOKEN } from './fixture.js';

// What the functions passed to page.evaluate use of the page's globals (this file compiles without the DOM lib).
declare const document: {
  querySelector(sel: string): { textContent: string | null; getAttribute(name: string): string | null } | null;
};
declare const sessionStorage: { getItem(key: string): string | null };

const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));
const WAIT_MS = 15_000;

/** The config with one more route in the pets API (a mock without a key). */
const withRoute = (config: string, path: string): string =>
  config.replace(
    '  - name: books',
    `      - route: GET ${path}\n        integration: { type: mock, statusCode: 200, body: canary }\n  - name: books`,
  );

/** Sends requests through the gateway until stopped (the live charts' traffic). */
function traffic(f: DashboardFixture, apiKey: string): () => Promise<void> {
  let running = true;
  const loop = (async () => {
    for (let i = 0; running; i++) {
      const path = i % 4 === 3 ? '/production/pets' : `/books/item/${i}`;
      await fetch(`${f.gw.url}${path}`, { headers: { 'x-api-key': i % 8 === 3 ? 'wrong' : apiKey } })
        .then((r) => r.arrayBuffer())
        .catch(() => undefined);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return async () => {
    running = false;
    await loop;
  };
}

test(
  'dashboard in headless Chromium: login, every page, drain a target, blue/green, reload error, deployments: rollback, diff, canary promote and remove',
  { timeout: 180_000 },
  async (t) => {
    const chromium = requireBinary(t, 'chromium', 'apt-get install chromium');
    if (!chromium) return;
    const { chromium: pw } = await import('playwright-core');
    await mkdir(RESULTS, { recursive: true });
    const f = await startDashboardFixture();
    t.after(() => f.close());
    const key = await f.admin('POST', '/keys', { name: 'dash-key', plans: ['basic'] });
    assert.equal(key.status, 201);
    for (let i = 0; i < 3; i++)
      assert.equal(
        (await fetch(`${f.gw.url}/prod/pets`, { headers: { 'x-api-key': String(key.body.value) } })).status,
        200,
      );

    const browser = await pw.launch({ executablePath: chromium, args: ['--no-sandbox'], timeout: WAIT_MS });
    t.after(() => browser.close());
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    context.setDefaultTimeout(WAIT_MS);
    context.setDefaultNavigationTimeout(WAIT_MS);
    const page = await context.newPage();
    const requests: string[] = [];
    const consoleErrors: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    const shots: string[] = [];
    const shot = async (name: string) => {
      const file = join(RESULTS, `${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      shots.push(file);
    };
    const origin = new URL(f.gw.gw.adminUrl).origin;
    const text = (sel: string) => page.locator(sel).first().innerText();

    try {
      // Login: a wrong token shows an error, the right one gets in.
      await page.goto(`${origin}/dashboard/`);
      await page.fill('#token', 'not-the-token');
      await page.click('button[type=submit]');
      assert.match(await text('#login-error'), /did not accept that token/);
      await shot('login-error');
      await page.fill('#token', TOKEN);
      await page.click('button[type=submit]');
      await page.waitForSelector('#page-status #revision');
      assert.equal(await page.evaluate(() => sessionStorage.getItem('portico.adminToken')), TOKEN);
      await shot('status');

      // The last reload error: a broken file, reload from the page, then a good one; the error stays shown.
      await f.gw.write(dashboardConfig(f.blue.url, f.green.url, true));
      await page.click('#reload');
      await page.waitForSelector('#reload-error pre');
      assert.match(await text('#reload-error pre'), /greedy parameter "\{id\+\}" must be the last segment/);
      assert.match(await text('#last-reload'), /rejected/);
      await f.gw.write(dashboardConfig(f.blue.url, f.green.url));
      await page.click('#reload');
      await page.waitForFunction(() => document.querySelector('#last-reload')?.textContent === 'ok');
      assert.match(await text('#reload-error pre'), /greedy parameter/);
      await shot('status-reload-error');

      // APIs, stages and routes with their policies.
      await page.click('#nav-apis');
      await page.waitForSelector('#page-apis [data-api="pets"]');
      assert.match(await text('[data-api="pets"]'), /stage prod[\s\S]*\/prod\/pets[\s\S]*api-key[\s\S]*throttle/);
      assert.match(await text('[data-api="books"]'), /upstream books/);
      await shot('apis');

      // Upstreams: drain blue, and the upstream admin API reports it drained.
      await page.click('#nav-upstreams');
      const blueRow = `[data-upstream="books"] tr[data-target="${f.blue.url}"]`;
      const greenRow = `[data-upstream="books"] tr[data-target="${f.green.url}"]`;
      await page.click(`${blueRow} button.drain`);
      await page.waitForSelector(`${blueRow} button.undrain`);
      assert.match(await text(`${blueRow} .state`), /drained/);
      type Targets = { upstreams: { name: string; targets: { url: string; drained: boolean; weight: number }[] }[] };
      const targets = async () =>
        ((await f.admin('GET', '/upstreams')).body as unknown as Targets).upstreams.find((u) => u.name === 'books')!
          .targets;
      assert.equal((await targets()).find((x) => x.url === f.blue.url)?.drained, true);
      await shot('upstreams-drained');
      // Blue/green: all traffic to green, in one change; then undrain blue and restore the configured weights.
      await page.click(`${greenRow} button.switch`);
      await page.waitForFunction(
        (sel) => document.querySelector(sel)?.textContent?.includes('all traffic to'),
        '[data-upstream="books"] .message',
      );
      const after = await targets();
      assert.deepEqual(
        after.map((x) => [x.url, x.weight]),
        [
          [f.blue.url, 0],
          [f.green.url, 50],
        ],
      );
      await page.click('[data-upstream="books"] button.reset');
      await page.waitForSelector(`${blueRow} button.drain`);
      assert.deepEqual(
        (await targets()).map((x) => [x.drained, x.weight]),
        [
          [false, 50],
          [false, 50],
        ],
      );

      // Keys, usage plans and usage.
      await page.click('#nav-keys');
      await page.waitForSelector('#keys [data-key="dash-key"]');
      assert.match(await text('#plans'), /basic[\s\S]*100 req\/s, burst 200[\s\S]*1/);
      assert.equal(await text('[data-key="dash-key"] .usage .total'), '3');
      await shot('keys');

      // Live charts from /metrics, with traffic running.
      const stop = traffic(f, String(key.body.value));
      try {
        await page.click('#nav-metrics');
        // No named functions inside: tsx's helper for them (__name) does not exist in the page.
        await page.waitForFunction(
          (ids) => ids.every((id) => Number(document.querySelector(`${id} .now`)?.getAttribute('data-now') || 0) > 0),
          ['#chart-rate', '#chart-latency'],
        );
        // A line: two points at least (three scrapes).
        await page.waitForFunction(() =>
          document.querySelector('#chart-rate svg path.line')?.getAttribute('d')?.includes('L'),
        );
        assert.match(await text('#chart-errors'), /%/);
      } finally {
        await stop();
      }
      await shot('metrics');

      // Deployments: a second one through the admin API, both listed, roll back to the first from the page.
      const before = await f.admin('GET', '/deployments');
      assert.equal(before.status, 200);
      const first = String(before.body.deploymentId);
      const second = await f.admin('POST', '/deployments', {
        config: `${dashboardConfig(f.blue.url, f.green.url)}\n# second\n`,
        description: 'second deployment',
      });
      assert.equal(second.status, 201, JSON.stringify(second.body));
      const secondId = String((second.body.deployment as { id: number }).id);
      await page.click('#nav-deployments');
      await page.waitForSelector(`#deployments [data-deployment="${secondId}"] .badge`);
      assert.match(await text(`[data-deployment="${secondId}"]`), /second deployment/);
      assert.equal(await page.locator(`[data-deployment="${first}"] .badge`).count(), 0);
      page.once('dialog', (d) => void d.accept());
      await page.click(`[data-deployment="${first}"] .rollback`);
      await page.waitForSelector(`[data-deployment="${first}"] .badge`);
      assert.equal(await text('#deployment-message'), `rolled back to ${first}`);
      assert.equal(String((await f.admin('GET', '/deployments')).body.deploymentId), first);
      await page.click(`[data-deployment="${first}"] .config`);
      await page.waitForSelector('#deployment-config');
      await shot('deployments');

      // A canary of pets/prod whose deployment adds a route: the page lists it, shows its diff against
      // the serving deployment, and Promote makes it the deployment of every stage.
      /** Clicks a button that asks for confirmation, accepts, and waits for the page's message. */
      const clickConfirmed = async (sel: string, message: string) => {
        page.once('dialog', (d) => void d.accept());
        await page.click(sel);
        await page.waitForFunction((m) => document.querySelector('#deployment-message')?.textContent === m, message);
      };
      const reopen = async () => {
        await page.click('#nav-status');
        await page.click('#nav-deployments');
      };
      type Listing = { deploymentId: number; stages: { api: string; stage: string; canarySettings?: unknown }[] };
      const listing = async () => (await f.admin('GET', '/deployments')).body as unknown as Listing;
      const canaryOf = async () => (await listing()).stages.find((s) => s.api === 'pets')?.canarySettings;
      const toPromote = withRoute(dashboardConfig(f.blue.url, f.green.url), '/pets/promoted');
      const c1 = await f.admin('POST', '/deployments', {
        config: toPromote,
        description: 'canary to promote',
        canary: { stage: 'pets/prod', percentTraffic: 10 },
      });
      assert.equal(c1.status, 201, JSON.stringify(c1.body));
      const c1Id = String((c1.body.deployment as { id: number }).id);
      await reopen();
      const canaryRow = '#canaries tr:has-text("pets/prod")';
      await page.waitForSelector(canaryRow);
      assert.match(await text(canaryRow), new RegExp(`pets/prod\\s+${c1Id}\\s+10 %`));
      await page.click(`${canaryRow} button.diff`);
      await page.waitForSelector('#deployment-diff');
      assert.equal(await page.locator('#deployment-diff').getAttribute('data-against'), first);
      assert.match(await text('#deployment-diff .change.create'), /creating route pets GET \/pets\/promoted/);
      assert.match(await text('#deployment-diff .summary'), /created 1, updated 0, deleted 0/);
      await shot('deployments-canary-diff');
      await clickConfirmed(`${canaryRow} button.promote`, 'canary of pets/prod promoted');
      await page.waitForSelector(`[data-deployment="${c1Id}"] .badge`);
      assert.equal(String((await listing()).deploymentId), c1Id);
      assert.equal(await canaryOf(), undefined);
      await page.waitForSelector('#canaries', { state: 'detached' });
      assert.equal(
        (await fetch(`${f.gw.url}/prod/pets/promoted`)).status,
        200,
        'the stage serves the promoted deployment',
      );
      // The serving row's diff is against the previous deployment: what it changed.
      await page.click(`[data-deployment="${c1Id}"] button.diff`);
      await page.waitForSelector('#deployment-diff .change.create');
      assert.match(await text('#deployment-diff .change.create'), /creating route pets GET \/pets\/promoted/);
      await shot('deployments-promoted');

      // Another canary, at 100 %, and Remove: the stage is back on its own deployment.
      const c2 = await f.admin('POST', '/deployments', {
        config: withRoute(toPromote, '/pets/removed'),
        description: 'canary to remove',
        canary: { stage: 'pets/prod', percentTraffic: 100 },
      });
      assert.equal(c2.status, 201, JSON.stringify(c2.body));
      const c2Id = String((c2.body.deployment as { id: number }).id);
      assert.equal((await fetch(`${f.gw.url}/prod/pets/removed`)).status, 200, 'the canary serves');
      await reopen();
      await page.waitForSelector(`${canaryRow}:has-text("${c2Id}")`);
      await shot('deployments-canary');
      await clickConfirmed(`${canaryRow} button.drop`, 'canary of pets/prod removed');
      assert.equal(await canaryOf(), undefined);
      assert.equal(String((await listing()).deploymentId), c1Id);
      await page.waitForSelector('#canaries', { state: 'detached' });
      assert.notEqual((await fetch(`${f.gw.url}/prod/pets/removed`)).status, 200, 'the canary no longer serves');
      assert.equal((await fetch(`${f.gw.url}/prod/pets/promoted`)).status, 200);

      // Sign out drops the token.
      await page.click('#sign-out');
      await page.waitForSelector('#token');
      assert.equal(await page.evaluate(() => sessionStorage.getItem('portico.adminToken')), null);
    } finally {
      t.diagnostic(`screenshots: ${shots.join(', ') || 'none'} (in ${RESULTS})`);
    }

    // Every request went to the admin origin (nothing from a CDN), and the token was in none of their URLs.
    const elsewhere = requests.filter((u) => !u.startsWith('data:') && new URL(u).origin !== origin);
    assert.deepEqual(elsewhere, []);
    assert.ok(requests.some((u) => u.endsWith('/dashboard/app.js')));
    assert.ok(!requests.some((u) => u.includes(TOKEN)), 'the token is never in a URL');
    assert.deepEqual(
      consoleErrors.filter((e) => !/status of 40[014]/.test(e)),
      [],
    );
  },
);
