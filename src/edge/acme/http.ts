import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { rootCertificates } from 'node:tls';
import * as acme from 'acme-client';

/**
 * acme-client talks through its own axios instance. Portico sets, once per process: a timeout on
 * every request (a CA that does not answer fails the attempt instead of hanging it), few retries of
 * its own (Portico retries a failed order with backoff, src/edge/acme/manager.ts), and per directory
 * origin an https.Agent trusting the system CAs plus `acme.caBundle`.
 */
const agents = new Map<string, Agent>();
let installed = false;

export interface AcmeHttpSettings {
  timeoutMs: number;
  /** Retries of one request by acme-client on a network error, 429 or 5xx. */
  retries: number;
  retryDelaySeconds: number;
}

export const DEFAULT_HTTP: AcmeHttpSettings = { timeoutMs: 30_000, retries: 2, retryDelaySeconds: 2 };

/** Reads the CA bundle (throws a clear error if it cannot) and routes the directory's requests through it. */
export function useDirectory(directory: string, caBundle: string | undefined, http: AcmeHttpSettings): void {
  const ax = acme.axios as typeof acme.axios & {
    defaults: { acmeSettings: { retryMaxAttempts: number; retryDefaultDelay: number } };
  };
  ax.defaults.acmeSettings.retryMaxAttempts = http.retries;
  ax.defaults.acmeSettings.retryDefaultDelay = http.retryDelaySeconds;
  if (caBundle) {
    let pem: string;
    try {
      pem = readFileSync(caBundle, 'utf8');
    } catch (e) {
      throw new Error(`cannot read acme.caBundle ${caBundle}: ${(e as Error).message}`);
    }
    agents.set(new URL(directory).origin, new Agent({ ca: [...rootCertificates, pem] }));
  }
  if (installed) return;
  installed = true;
  ax.interceptors.request.use((config) => {
    config.timeout ||= http.timeoutMs;
    const agent = config.url ? agents.get(new URL(config.url).origin) : undefined;
    if (agent) config.httpsAgent = agent;
    return config;
  });
}
