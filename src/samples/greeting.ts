import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';

/** What `GET /api/greeting` returns; the field order matches the Spring `Greeting(id, content)` record. */
export interface Greeting {
  id: number;
  content: string;
}

const GREETING_PATH = '/api/greeting';
// Spring's @GetMapping also answers HEAD, and Spring MVC answers OPTIONS itself with an Allow header.
const ALLOW = 'GET,HEAD,OPTIONS';

/**
 * A stand-in for the javatask/aws-spa-beginners-guide Spring Boot backend (the Spring "greeting" guide):
 * `GET /api/greeting?name=X` → `{"id":N,"content":"Hello, X!"}` with N counting calls on this listener from 1.
 * Every response carries `x-served-by: <instanceName>` so tests can tell instances apart behind a balancer.
 * @example
 * createServer(createGreetingListener('greeting-1')).listen(8080, '127.0.0.1');
 */
export function createGreetingListener(instanceName: string): RequestListener {
  let calls = 0;
  return (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    res.setHeader('x-served-by', instanceName);
    // Spring Boot 3 matches paths exactly: no trailing-slash or case-insensitive match, so those are 404s.
    if (path !== GREETING_PATH) return sendJson(res, 404, springError(404, 'Not Found', path));
    if (req.method === 'OPTIONS') {
      res.writeHead(200, { allow: ALLOW, 'content-length': 0 });
      return res.end();
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', ALLOW);
      return sendJson(res, 405, springError(405, 'Method Not Allowed', path));
    }
    // Spring runs the GET handler for HEAD too, so HEAD also advances the counter (AtomicLong.incrementAndGet).
    calls += 1;
    const name = readName(new URLSearchParams(q < 0 ? '' : url.slice(q + 1)));
    const greeting: Greeting = { id: calls, content: `Hello, ${name}!` };
    sendJson(res, 200, greeting);
  };
}

/** `@RequestParam(defaultValue = "World")` also applies to an empty value; repeated params bind as "a,b". */
function readName(search: URLSearchParams): string {
  const name = search.getAll('name').join(',');
  return name === '' ? 'World' : name;
}

/**
 * Spring Boot's default error body, minus `timestamp`: leaving the clock out keeps bodies comparable byte for byte.
 * `message` is absent because Boot 2.5+ omits it unless `server.error.include-message` is set.
 */
function springError(status: number, error: string, path: string): Record<string, unknown> {
  return { status, error, path };
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = Buffer.from(JSON.stringify(value));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': body.length });
  res.end(body);
}
