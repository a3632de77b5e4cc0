/* global AbortSignal */
// The image's HEALTHCHECK: GET the admin listener's /healthz (liveness, no token) with node's own
// fetch, as the slim image has no curl. Exit 0 on 200, 1 on anything else, a refused connection or
// no answer within PORTICO_HEALTH_TIMEOUT_MS (default 2000). Works on Node 20 and 22.
// The URL: the first argument, else PORTICO_HEALTH_URL, else http://127.0.0.1:9876/healthz (the image's
// --admin-listen). deploy/compose.yaml passes .../readyz, so nginx starts once the nodes are ready.
const url = process.argv[2] || process.env.PORTICO_HEALTH_URL || 'http://127.0.0.1:9876/healthz';
const timeoutMs = Number(process.env.PORTICO_HEALTH_TIMEOUT_MS) || 2000;
try {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  await res.body?.cancel();
  if (res.status !== 200) {
    process.stderr.write(`portico healthcheck: ${url} answered ${res.status}\n`);
    process.exit(1);
  }
  process.exit(0);
} catch (err) {
  process.stderr.write(`portico healthcheck: ${url}: ${err?.cause?.code ?? err?.cause?.message ?? err?.name ?? err}\n`);
  process.exit(1);
}
