import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Agent, request } from 'undici';
import { startTestGateway, startUpstream } from './helpers/gateway.js';

const config = (upstream: string, revision: number) => `version: 1
apis:
  - name: svc
    type: rest
    stages:
      prod: { variables: { rev: "r${revision}" } }
    routes:
      - route: GET /rev
        integration: { type: mock, body: '{"rev":${revision}}' }
      - route: ANY /{proxy+}
        integration: { type: http_proxy, uri: "${upstream}/\${stageVariables.rev}/{proxy}" }
`;

describe('hot reload', () => {
  test('50 reloads under concurrent load: zero failed requests', async (t) => {
    const up = await startUpstream();
    const tg = await startTestGateway(config(up.url, 0));
    const agent = new Agent({ connections: 32 });
    t.after(async () => {
      await agent.close();
      await tg.close();
      await up.close();
    });
    let done = false;
    let ok = 0;
    const failures: string[] = [];
    const seenRevs = new Set<string>();
    const worker = async (i: number) => {
      while (!done) {
        const path = i % 2 ? '/prod/rev' : `/prod/item/${i}`;
        try {
          const res = await request(`${tg.url}${path}`, { dispatcher: agent });
          const body = await res.body.text();
          if (res.statusCode !== 200) failures.push(`${path} ${res.statusCode} ${body}`);
          else {
            ok++;
            if (i % 2 === 0) seenRevs.add((JSON.parse(body) as { url: string }).url.split('/')[1] as string);
          }
        } catch (err) {
          failures.push(`${path} ${(err as Error).message}`);
        }
      }
    };
    const workers = Array.from({ length: 16 }, (_, i) => worker(i));
    for (let rev = 1; rev <= 50; rev++) {
      await tg.write(config(up.url, rev));
      const r = await tg.gw.reload('test');
      assert.deepEqual({ ok: r.ok, changed: r.changed }, { ok: true, changed: true }, r.error);
      // Let some requests run on each revision.
      await new Promise((r) => setTimeout(r, 10));
    }
    done = true;
    await Promise.all(workers);
    assert.deepEqual(failures, []);
    assert.ok(ok >= 200, `only ${ok} requests ran during the reloads`);
    assert.equal(tg.gw.snapshot.revision, 51);
    assert.ok(seenRevs.size > 5, `requests saw only ${seenRevs.size} revisions`);
    const last = await request(`${tg.url}/prod/rev`, { dispatcher: agent });
    assert.equal(await last.body.text(), '{"rev":50}');
  });

  test('an invalid config is rejected with the precise error; the old one keeps serving', async (t) => {
    const up = await startUpstream();
    const tg = await startTestGateway(config(up.url, 1));
    t.after(async () => {
      await tg.close();
      await up.close();
    });
    await tg.write(config(up.url, 2).replace('GET /rev', 'GET /rev/{id+}/x'));
    const r = await tg.gw.reload('test');
    assert.equal(r.ok, false);
    assert.equal(r.revision, 1);
    assert.match(
      r.error ?? '',
      /portico\.yaml:8:16 apis\[0\]\.routes\[0\]\.route: greedy parameter "\{id\+\}" must be the last segment/,
    );
    const res = await fetch(`${tg.url}/prod/rev`);
    assert.equal(await res.text(), '{"rev":1}');
    const status = tg.gw.status() as { lastReload: { ok: boolean; error: string } };
    assert.equal(status.lastReload.ok, false);
    // Fixing the file makes the next reload succeed.
    await tg.write(config(up.url, 3));
    assert.equal((await tg.gw.reload('test')).revision, 2);
    assert.equal(await (await fetch(`${tg.url}/prod/rev`)).text(), '{"rev":3}');
  });

  test('identical text is not a new revision', async (t) => {
    const tg = await startTestGateway(config('http://127.0.0.1:9', 1));
    t.after(() => tg.close());
    const r = await tg.gw.reload('test');
    assert.deepEqual({ ok: r.ok, changed: r.changed, revision: r.revision }, { ok: true, changed: false, revision: 1 });
  });

  test('a file change reloads by itself when watching', async (t) => {
    const tg = await startTestGateway(config('http://127.0.0.1:9', 1), { watch: true });
    t.after(() => tg.close());
    await tg.write(config('http://127.0.0.1:9', 7));
    const deadline = Date.now() + 10000;
    while (tg.gw.snapshot.revision === 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(tg.gw.snapshot.revision, 2);
    assert.equal(await (await fetch(`${tg.url}/prod/rev`)).text(), '{"rev":7}');
  });

  test('admin API: reload needs the token; a bad config answers 400 with the issues', async (t) => {
    const tg = await startTestGateway(config('http://127.0.0.1:9', 1));
    t.after(() => tg.close());
    const admin = tg.gw.adminUrl;
    assert.equal((await fetch(`${admin}/reload`, { method: 'POST' })).status, 401);
    assert.equal(
      (await fetch(`${admin}/reload`, { method: 'POST', headers: { authorization: 'Bearer wrong-token-wrong-token' } }))
        .status,
      401,
    );
    const auth = { authorization: `Bearer ${tg.gw.adminToken}` };
    await tg.write('version: 1\napis: []\n');
    const bad = await fetch(`${admin}/reload`, { method: 'POST', headers: auth });
    assert.equal(bad.status, 400);
    const body = (await bad.json()) as { ok: boolean; issues: { path: string[]; message: string; line: number }[] };
    assert.equal(body.ok, false);
    assert.deepEqual(
      body.issues.map((i) => [i.path.join('.'), i.message, i.line]),
      [['apis', 'expected at least one API', 2]],
    );
    await tg.write(config('http://127.0.0.1:9', 2));
    const good = await fetch(`${admin}/reload`, { method: 'POST', headers: auth });
    assert.equal(good.status, 200);
    assert.deepEqual(await good.json(), { ok: true, changed: true, revision: 2 });
    const routes = (await (await fetch(`${admin}/routes`, { headers: auth })).json()) as { path: string }[];
    assert.deepEqual(
      routes.map((r) => r.path),
      ['/prod/rev', '/prod/{proxy+}'],
    );
  });
});
