import { readFileSync } from 'node:fs';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Socket } from 'node:net';
import { rootCertificates } from 'node:tls';
import * as acme from 'acme-client';

/**
 * acme-client talks through its own axios instance. Portico sets, once per process: a timeout on
 * every request (a CA that does not answer fails the attempt instead of hanging it), few retries of
 * its own (Portico retries a failed order with backoff, manager.ts), and per directory origin an
 * agent: for https one trusting the system CAs plus `acme.caBundle`. The agent also keeps the last
 * connection error, because acme-client 5.4 turns a request without a response into a TypeError
 * once its retries are spent and the reason would be lost.
 */
interface Directory {
  agent: HttpAgent;
  lastError?: string;
}
const directories = new Map<string, Directory>();
let installed = false;

export interface AcmeHttpSettings {
  timeoutMs: number;
  /** Retries of one request by acme-client on a network error, 429 or 5xx. */
  retries: number;
  retryDelaySeconds: number;
}

export const DEFAULT_HTTP: AcmeHttpSettings = { timeoutMs: 30_000, retries: 2, retryDelaySeconds: 2 };

/** Makes the agent's connections report their errors to `onError`. */
function reporting<T extends HttpAgent>(agent: T, onError: (e: Error) => void): T {
  const create = agent.createConnection.bind(agent) as (...a: unknown[]) => Socket | undefined;
  (agent as { createConnection: unknown }).createConnection = (...args: unknown[]) => {
    const s = create(...args);
    s?.once('error', onError);
    return s;
  };
  return agent;
}

/** Reads the CA bundle (throws a clear error if it cannot) and routes the directory's requests through its agent. */
export function useDirectory(directory: string, caBundle: string | undefined, http: AcmeHttpSettings): void {
  const ax = acme.axios as typeof acme.axios & {
    defaults: { acmeSettings: { retryMaxAttempts: number; retryDefaultDelay: number } };
  };
  ax.defaults.acmeSettings.retryMaxAttempts = http.retries;
  ax.defaults.acmeSettings.retryDefaultDelay = http.retryDelaySeconds;
  const url = new URL(directory);
  let ca: string[] | undefined;
  if (caBundle) {
    try {
      ca = [...rootCertificates, readFileSync(caBundle, 'utf8')];
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new Error(
        `cannot read acme.caBundle ${caBundle}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`,
      );
    }
  }
  if (!directories.has(url.origin) || ca) {
    const entry: Directory = { agent: url.protocol === 'https:' ? new HttpsAgent(ca ? { ca } : {}) : new HttpAgent() };
    reporting(entry.agent, (e) => (entry.lastError = (e as NodeJS.ErrnoException).code ?? e.message));
    directories.set(url.origin, entry);
  }
  if (installed) return;
  installed = true;
  ax.interceptors.request.use((config) => {
    config.timeout ||= http.timeoutMs;
    const d = config.url ? directories.get(new URL(config.url).origin) : undefined;
    if (d) config[d.agent instanceof HttpsAgent ? 'httpsAgent' : 'httpAgent'] = d.agent;
    return config;
  });
}

/** The last connection error to a directory's origin, if there was one. */
export function lastConnectionError(directory: string): string | undefined {
  return directories.get(new URL(directory).origin)?.lastError;
}
