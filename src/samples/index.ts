import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createBookstoreListener } from './bookstore.js';
import { createGreetingListener } from './greeting.js';

export type { Author, Book, BookstoreResource } from './bookstore.js';
export {
  AUTHOR_SERVICE_HEALTH_HTML,
  AUTHORS,
  BOOK_SERVICE_HEALTH_HTML,
  BOOKS,
  createBookstoreListener,
  UNKNOWN_ID_HTML,
} from './bookstore.js';
export type { Greeting } from './greeting.js';
export { createGreetingListener } from './greeting.js';

/** `greeting` = the javatask Spring backend; `books` / `authors` = the aws-samples Express services. */
export type SampleKind = 'greeting' | 'books' | 'authors';

export interface SampleServerOptions {
  /** Sent as `x-served-by` on every response. Defaults to the kind. */
  name?: string;
}

export interface StartSampleOptions extends SampleServerOptions {
  /** Defaults to 127.0.0.1. */
  host?: string;
  /** Defaults to 0 (any free port). */
  port?: number;
}

export interface RunningSample {
  kind: SampleKind;
  name: string;
  /** `http://127.0.0.1:PORT`, without a trailing slash. */
  url: string;
  port: number;
  /** Stops listening and drops every connection, idle keep-alive ones included. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Builds, but does not start, a sample backend server.
 * @example
 * createSampleServer('books', { name: 'books-1' }).listen(8081, '127.0.0.1');
 */
export function createSampleServer(kind: SampleKind, opts: SampleServerOptions = {}): Server {
  const name = opts.name ?? kind;
  const server = createServer(kind === 'greeting' ? createGreetingListener(name) : createBookstoreListener(kind, name));
  // An upstream must keep idle sockets longer than any proxy pool in front of it, or the proxy can reuse a
  // socket the backend is closing at that moment (ECONNRESET). Node's default is only 5 s.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  return server;
}

/**
 * Starts a sample backend, on 127.0.0.1 and a free port unless told otherwise.
 * @example
 * const books = await startSample('books', { name: 'books-1' });
 * await fetch(`${books.url}/api/books`);
 * await books.close();
 */
export async function startSample(kind: SampleKind, opts: StartSampleOptions = {}): Promise<RunningSample> {
  const name = opts.name ?? kind;
  const host = opts.host ?? '127.0.0.1';
  const server = createSampleServer(kind, { name });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    kind,
    name,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    close: () => {
      closing ??= closeServer(server);
      return closing;
    },
  };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    // close() drops idle keep-alive sockets but waits for busy ones (a load generator's, a stuck client's);
    // a sample backend has nothing worth draining, so end them all and let close() resolve at once.
    server.closeAllConnections();
  });
}
