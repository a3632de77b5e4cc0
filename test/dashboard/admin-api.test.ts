import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { dashboardConfig, type DashboardFixture, startDashboardFixture } from './fixture.js';

describe('the dashboard on the admin listener, and the admin API it reads', () => {
  let f: DashboardFixture;
  before(async () => {
    f = await startDashboardFixture();
  });
  after(() => f.close());

  test('the page, its script and stylesheet are served without the token, with a same-origin CSP', async () => {
    const base = f.gw.gw.adminUrl;
    const redirect = await fetch(`${base}/dashboard`, { redirect: 'manual' });
    assert.equal(redirect.status, 308);
    assert.equal(redirect.headers.get('location'), '/dashboard/');
    const page = await fetch(`${base}/dashboard/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'.*connect-src 'self'/);
    const html = await page.text();
    assert.match(html, /<script type="module" src="app.js">/);
    // Nothing from another origin: every src/href is relative or a data: URL.
    for (const [, url] of html.matchAll(/(?:src|href)="([^"]*)"/g)) assert.doesNotMatch(url!, /^(https?:)?\/\//);
    const js = await fetch(`${base}/dashboard/app.js`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type') ?? '', /^text\/javascript/);
    const code = await js.text();
    assert.ok(code.length > 10_000, 'the bundle holds preact, htm and the pages');
    assert.doesNotMatch(code, /https?:\/\/(?!www\.w3\.org\/)[a-z]/i, 'the bundle fetches from no other origin');
    assert.equal((await fetch(`${base}/dashboard/app.css`)).status, 200);
    const missing = await fetch(`${base}/dashboard/other.js`);
    assert.equal(missing.status, 404);
    // The data still needs the token.
    assert.equal((await fetch(`${base}/status`)).status, 401);
  });

  test('GET /routes lists each route’s policies for its stage', async () => {
    const r = await f.admin('GET', '/routes');
    const rows = r.body as unknown as { api: string; routeKey: string; policies: string[] }[];
    const pets = rows.find((x) => x.api === 'pets');
    assert.deepEqual(pets?.policies, ['api-key', 'throttle']);
    assert.deepEqual(rows.find((x) => x.api === 'books')?.policies, []);
  });

  test('GET /status keeps the last rejected reload, with its located issues, after a good one', async () => {
    assert.equal((await f.admin('GET', '/status')).body.lastReloadError, null);
    await f.gw.write(dashboardConfig(f.blue.url, f.green.url, true));
    const bad = await f.admin('POST', '/reload');
    assert.equal(bad.status, 400);
    await f.gw.write(dashboardConfig(f.blue.url, f.green.url));
    assert.equal((await f.admin('POST', '/reload')).status, 200);
    const s = (await f.admin('GET', '/status')).body;
    assert.equal((s.lastReload as { ok: boolean }).ok, true);
    const e = s.lastReloadError as { reason: string; error: string; issues: { line?: number; message: string }[] };
    assert.equal(e.reason, 'admin');
    assert.match(e.error, /greedy parameter "\{id\+\}" must be the last segment/);
    assert.ok(e.issues[0]?.line, 'issues carry their line');
  });
});
