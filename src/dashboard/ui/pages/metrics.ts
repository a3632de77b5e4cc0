import { useEffect, useState } from 'preact/hooks';
import { ApiError, getText } from '../api.js';
import { html } from '../html.js';
import { LineChart } from '../charts.js';
import { type Point, parseProm, pointBetween, type Totals, totalsOf } from '../prom.js';

const EVERY_MS = 2000;
const KEEP = 90;

/** Polls GET /metrics and keeps the last points between consecutive scrapes (3 minutes). */
export function MetricsPage() {
  const [points, setPoints] = useState<Point[]>([]);
  const [error, setError] = useState<string | undefined>(undefined);
  useEffect(() => {
    let prev: Totals | undefined;
    let live = true;
    const scrape = async () => {
      try {
        const cur = totalsOf(parseProm(await getText('/metrics')), Date.now());
        if (!live) return;
        if (prev) {
          const p = pointBetween(prev, cur);
          setPoints((ps) => [...ps, p].slice(-KEEP));
        }
        prev = cur;
        setError(undefined);
      } catch (err) {
        if (live)
          setError(
            err instanceof ApiError && err.status === 404
              ? 'Metrics are off on this gateway (observability.metrics).'
              : (err as Error).message,
          );
      }
    };
    void scrape();
    const timer = setInterval(scrape, EVERY_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, []);
  return html`<h2>Live metrics</h2>
    <p class="muted">
      From <code>GET /metrics</code> every ${EVERY_MS / 1000} s, all APIs together, the last
      ${`${(KEEP * EVERY_MS) / 60000} minutes`}. ${points.length ? '' : 'The first point comes with the second scrape.'}
    </p>
    ${error && html`<p class="error" id="metrics-error">${error}</p>`}
    <div class="grid">
      <${LineChart}
        id="chart-rate"
        title="Request rate"
        unit="req/s"
        series=${[{ name: 'requests per second', values: points.map((p) => p.rate) }]}
      />
      <${LineChart}
        id="chart-errors"
        title="Error rate"
        unit="%"
        series=${[
          { name: '5xx %', values: points.map((p) => p.errorPct) },
          { name: '4xx %', values: points.map((p) => p.clientErrorPct) },
        ]}
      />
      <${LineChart}
        id="chart-latency"
        title="Latency"
        unit="ms"
        series=${[
          { name: 'p95 ms', values: points.map((p) => p.p95Ms) },
          { name: 'mean ms', values: points.map((p) => p.meanMs) },
        ]}
      />
    </div>`;
}
