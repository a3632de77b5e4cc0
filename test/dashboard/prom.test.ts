import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseProm, pointBetween, quantile, totalsOf } from '../../src/dashboard/ui/prom.js';

// The dashboard's live charts: what it makes of two /metrics scrapes (src/dashboard/ui/prom.ts).

const scrape = (n2xx: number, n5xx: number, le: [string, number][], sum: number) => `# HELP portico_requests_total x
# TYPE portico_requests_total counter
portico_requests_total{api="a",stage="s",route="GET /x",method="GET",status_class="2xx"} ${n2xx}
portico_requests_total{api="a",stage="s",route="GET /x",method="GET",status_class="5xx"} ${n5xx}
${le.map(([b, c]) => `portico_request_duration_seconds_bucket{api="a",stage="s",route="GET /x",method="GET",le="${b}"} ${c}`).join('\n')}
portico_request_duration_seconds_sum{api="a",stage="s",route="GET /x",method="GET"} ${sum}
portico_request_duration_seconds_count{api="a",stage="s",route="GET /x",method="GET"} ${n2xx + n5xx}
`;

test('rate, error share, mean and p95 between two scrapes', () => {
  const a = totalsOf(
    parseProm(
      scrape(
        10,
        0,
        [
          ['0.01', 5],
          ['0.1', 10],
          ['+Inf', 10],
        ],
        0.3,
      ),
    ),
    0,
  );
  const b = totalsOf(
    parseProm(
      scrape(
        100,
        10,
        [
          ['0.01', 5],
          ['0.1', 100],
          ['+Inf', 110],
        ],
        5.3,
      ),
    ),
    2000,
  );
  const p = pointBetween(a, b);
  assert.equal(p.rate, 50); // 100 requests in 2 s
  assert.equal(p.errorPct, 10);
  assert.equal(p.meanMs, 50); // 5 s over 100 requests
  // 95th of 100 new requests: all between 0.01 and 0.1 up to the 90th, the rest above 0.1 → the highest finite bound.
  assert.equal(p.p95Ms, 100);
});

test('quantile interpolates inside its bucket; no requests is null; a counter reset counts from zero', () => {
  const cur = new Map([
    [0.1, 50],
    [0.2, 100],
    [Infinity, 100],
  ]);
  assert.equal(quantile(0.5, new Map(), cur), 0.1);
  assert.ok(Math.abs(quantile(0.75, new Map(), cur)! - 0.15) < 1e-9);
  assert.equal(quantile(0.5, cur, cur), null);
  const before = totalsOf(parseProm(scrape(500, 0, [['+Inf', 500]], 1)), 0);
  const after = totalsOf(parseProm(scrape(4, 0, [['+Inf', 4]], 1)), 1000);
  assert.equal(pointBetween(before, after).rate, 4);
  assert.deepEqual(parseProm('x{a="q\\"uote"} 1\n# c\nbroken\n')[0], { name: 'x', labels: { a: 'q"uote' }, value: 1 });
});
