import { createHash } from 'node:crypto';
import type { IncomingMessage, OutgoingHttpHeaders, RequestListener, ServerResponse } from 'node:http';

// Data and pages copied verbatim from aws-samples/http-api-aws-fargate-cdk (src/book-service, src/author-service);
// the captured responses live in test/fixtures/corpus/backends/ and samples.test.ts checks them byte for byte.

export interface Book {
  id: number;
  isbn: number;
  title: string;
  publisher: string;
  date: string;
}

export interface Author {
  id: number;
  name: string;
  book: string;
}

export const BOOKS: readonly Book[] = [
  {
    id: 1,
    isbn: 9781119490708,
    title: 'AWS Certified Cloud Practitioner Study',
    publisher: 'Wiley',
    date: '07/02/2019',
  },
  { id: 2, isbn: 9781788293723, title: 'Mastering AWS Security', publisher: 'Packt Publishing', date: '10/30/2017' },
  { id: 3, isbn: 9781789806199, title: 'Machine Learning with AWS', publisher: 'Packt Publishing', date: '11/02/2018' },
  { id: 4, isbn: 9781782171102, title: 'Learning Aws Opsworks', publisher: 'Packt Publishing', date: '09/10/2013' },
  {
    id: 5,
    isbn: 9781789340198,
    title: 'AWS Lambda Quick Start Guide',
    publisher: 'Packt Publishing',
    date: '06/29/2018',
  },
  { id: 6, isbn: 9781542885751, title: 'AWS Basics', publisher: 'CreateSpace Publishing', date: '02/09/2017' },
];

export const AUTHORS: readonly Author[] = [
  { id: 1, name: 'Mark Wilkins', book: 'Learning Amazon Web Services (AWS)' },
  { id: 2, name: 'Steve Morad', book: 'AWS Certified Advanced Networking' },
  { id: 3, name: 'Gojko Adzic', book: 'Running Serverless' },
  { id: 4, name: 'Giuseppe Borgese', book: 'Effective DevOps with AWS' },
  { id: 5, name: 'Vikas Aggarwal', book: 'Ansible 2 Cloud Automation Cookbook' },
  { id: 6, name: 'Ajit Pratap Kundan', book: 'VMware Cross-Cloud Architecture' },
];

export const BOOK_SERVICE_HEALTH_HTML = `<!DOCTYPE html>
<html>

<head>
    <title>Welcome to Books Service!</title>
    <style>
        body {
            width: 35em;
            margin: 0 auto;
            font-family: Tahoma, Verdana, Arial, sans-serif;
        }
    </style>
</head>

<body>
    <h1>Welcome to Books Service !</h1>
    <p>If you see this page, the nginx web server is successfully installed and
        working. Further configuration is required.</p>

    <!-- <p>For online documentation and support please refer to
        <a href="http://nginx.org/">nginx.org</a>.<br />
        Commercial support is available at
        <a href="http://nginx.com/">nginx.com</a>.</p> -->

    <p><em>Thank you for using AWS.</em></p>
</body>

</html>`;

export const AUTHOR_SERVICE_HEALTH_HTML = `<!DOCTYPE html>
<html>

<head>
    <title>Welcome to Authors Service</title>
    <style>
        body {
            width: 35em;
            margin: 0 auto;
            font-family: Tahoma, Verdana, Arial, sans-serif;
        }
    </style>
</head>

<body>
    <h1>Welcome to Authors Service !</h1>
    <p>If you see this page, the Authors Service is successfully installed and
        working. Further configuration is required.</p>

    <!-- <p>For online documentation and support please refer to
        <a href="http://nginx.org/">nginx.org</a>.<br />
        Commercial support is available at
        <a href="http://nginx.com/">nginx.com</a>.</p> -->

    <p><em>Thank you for using AWS.</em></p>
</body>

</html>`;

/** The services' own 404 for an unknown id: `res.status(404).send('<h2 …>Ooops…</h2>')` in both index.js files. */
export const UNKNOWN_ID_HTML =
  '<h2 style="font-family: Malgun Gothic; color: darkred;">Ooops... Cant find what you are looking for!</h2>';

export type BookstoreResource = 'books' | 'authors';

const SERVICES = {
  books: { items: BOOKS, health: BOOK_SERVICE_HEALTH_HTML },
  authors: { items: AUTHORS, health: AUTHOR_SERVICE_HEALTH_HTML },
} as const;

/**
 * A node:http stand-in for the tutorial's Express book-service or author-service, serving
 * `GET /api/<resource>`, `GET /api/<resource>/{id}` and `GET /api/<resource>/health` the way Express 4 does:
 * case-insensitive paths, optional trailing slash, HEAD via the GET route, weak ETags and 304s, finalhandler 404s.
 * Every response carries `x-served-by: <instanceName>`.
 * @example
 * createServer(createBookstoreListener('books', 'books-1')).listen(8081, '127.0.0.1');
 */
export function createBookstoreListener(resource: BookstoreResource, instanceName: string): RequestListener {
  const { items, health } = SERVICES[resource];
  const list = JSON.stringify(items);
  // Same registration order as index.js: /health is declared before /:id, so it wins.
  const healthRe = new RegExp(`^/api/${resource}/health/?$`, 'i');
  const listRe = new RegExp(`^/api/${resource}/?$`, 'i');
  const itemRe = new RegExp(`^/api/${resource}/([^/]+?)/?$`, 'i');
  return (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    res.setHeader('x-served-by', instanceName);
    res.setHeader('x-powered-by', 'Express');
    if (req.method === 'GET' || req.method === 'HEAD') {
      // res.sendFile() labels .html with an upper-case charset, unlike res.send().
      if (healthRe.test(path)) return send(req, res, 200, health, 'text/html; charset=UTF-8', PUBLIC_MAX_AGE_0);
      if (listRe.test(path)) return send(req, res, 200, list, JSON_TYPE);
      const id = itemRe.exec(path)?.[1];
      if (id !== undefined) {
        // index.js calls parseInt(req.params.id): "2abc" finds book 2, anything non-numeric is a 404.
        // No radix, as in index.js, so "0x2" also finds book 2.
        const item = items.find((c) => c.id === Number.parseInt(decodeParam(id)));
        if (item) return send(req, res, 200, JSON.stringify(item), JSON_TYPE);
        return send(req, res, 404, UNKNOWN_ID_HTML, HTML_TYPE);
      }
    }
    sendFinalhandler404(req, res, path);
  };
}

const JSON_TYPE = 'application/json; charset=utf-8';
const HTML_TYPE = 'text/html; charset=utf-8';
const PUBLIC_MAX_AGE_0 = { 'cache-control': 'public, max-age=0' };

/** Express's res.send(): weak ETag on every body, and a 304 when a 2xx GET/HEAD is fresh. */
function send(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  body: string,
  contentType: string,
  extra: OutgoingHttpHeaders = {},
): void {
  const buf = Buffer.from(body);
  const tag = weakEtag(buf);
  if (status >= 200 && status < 300 && isFresh(req, tag)) {
    res.writeHead(304, { ...extra, etag: tag });
    res.end();
    return;
  }
  res.writeHead(status, { ...extra, 'content-type': contentType, 'content-length': buf.length, etag: tag });
  res.end(buf);
}

/** Same format as the `etag` package with `weak: true` (Express's default "etag" setting). */
function weakEtag(buf: Buffer): string {
  const hash = createHash('sha1').update(buf).digest('base64').slice(0, 27);
  return `W/"${buf.length.toString(16)}-${hash}"`;
}

/** The If-None-Match half of the `fresh` package; no Last-Modified is sent, so If-Modified-Since never applies. */
function isFresh(req: IncomingMessage, tag: string): boolean {
  const inm = req.headers['if-none-match'];
  if (!inm) return false;
  if (/(?:^|,)\s*no-cache\s*(?:,|$)/.test(req.headers['cache-control'] ?? '')) return false;
  if (inm.trim() === '*') return true;
  const bare = tag.slice(2);
  return inm.split(',').some((t) => {
    const v = t.trim();
    return v === tag || v === bare || `W/${v}` === tag;
  });
}

/** Express decodes route params with decodeURIComponent; it answers 400 on bad escapes, we just keep the raw text. */
function decodeParam(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** What Express 4's finalhandler sends when no route matched (including other methods: Express has no 405). */
function sendFinalhandler404(req: IncomingMessage, res: ServerResponse, path: string): void {
  const body = Buffer.from(
    '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Error</title>\n</head>\n<body>\n' +
      `<pre>Cannot ${escapeHtml(req.method ?? 'GET')} ${escapeHtml(path)}</pre>\n</body>\n</html>\n`,
  );
  res.writeHead(404, {
    'content-security-policy': "default-src 'none'",
    'x-content-type-options': 'nosniff',
    'content-type': HTML_TYPE,
    'content-length': body.length,
  });
  res.end(body);
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** The `escape-html` package's table, so odd paths render exactly as finalhandler renders them. */
function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}
