import { accessSync, constants } from 'node:fs';
import { resolve } from 'node:path';
import { loadTls } from '../edge/tls/certs.js';
import { checkDomainTls } from '../edge/domains/tls.js';
import type { ConfigIssue } from './errors.js';
import { isLoopback, parseListen } from './listen.js';
import type { LoadedConfig } from './loaded.js';

/**
 * What `portico start` refuses about a valid config, beyond the schema and compile: run by start
 * (after --listen/--admin-listen overrides, before any service starts) and by `portico validate`, so
 * validate passes only what start accepts. One place: add a check here, both see it.
 *
 * - the admin listener off loopback needs an explicit admin.token (a generated one is in a file only
 *   this host can read, so remote operators could not use it and anyone could try);
 * - the data, admin and metrics listeners may not share an address;
 * - every TLS file of server.extraListeners and of domains reads, parses, and each key matches its certificate;
 *   an acme.caBundle is readable.
 */
export function startChecks(loaded: LoadedConfig): ConfigIssue[] {
  const cfg = loaded.config;
  const issues: ConfigIssue[] = [];
  if (cfg.admin.enabled && !isLoopback(parseListen(cfg.admin.listen).host) && !cfg.admin.token) {
    issues.push(
      loaded.issue(
        ['admin', 'token'],
        `admin.listen ${cfg.admin.listen} is not loopback, so admin.token must be set explicitly`,
      ),
    );
  }
  const listeners: [path: (string | number)[], value: string][] = [[['server', 'listen'], cfg.server.listen]];
  cfg.server.extraListeners.forEach((l, i) => {
    listeners.push([['server', 'extraListeners', i, 'listen'], l.listen]);
    if (l.tls && l.http2?.h2c)
      issues.push(
        loaded.issue(
          ['server', 'extraListeners', i, 'http2', 'h2c'],
          'is for a plain-HTTP listener; a TLS listener offers h2 by ALPN',
        ),
      );
    if (!l.tls) return;
    for (const p of loadTls(l.tls, loaded.dir).problems)
      issues.push(loaded.issue(['server', 'extraListeners', i, 'tls', ...p.path], p.message));
    const bundle = l.tls.acme?.caBundle && resolve(loaded.dir, l.tls.acme.caBundle);
    try {
      if (bundle) accessSync(bundle, constants.R_OK);
    } catch (e) {
      issues.push(
        loaded.issue(
          ['server', 'extraListeners', i, 'tls', 'acme', 'caBundle'],
          `cannot read ${bundle}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`,
        ),
      );
    }
    if (l.redirectToHttps)
      issues.push(
        loaded.issue(
          ['server', 'extraListeners', i, 'redirectToHttps'],
          'is for a plain-HTTP listener, this one has tls',
        ),
      );
  });
  checkDomainTls(cfg.domains, cfg.server.extraListeners, loaded.dir, (path, message) =>
    issues.push(loaded.issue(path, message)),
  );
  if (cfg.admin.enabled) listeners.push([['admin', 'listen'], cfg.admin.listen]);
  const metrics = cfg.observability.metrics.listen;
  if (metrics) listeners.push([['observability', 'metrics', 'listen'], metrics]);
  listeners.forEach(([path, value], i) => {
    const a = parseListen(value);
    if (a.port === 0) return;
    const clash = listeners.slice(0, i).find(([, other]) => overlaps(a, parseListen(other)));
    if (clash) issues.push(loaded.issue(path, `${value} is the address of ${clash[0].join('.')} (${clash[1]})`));
  });
  return issues;
}

const WILDCARD = new Set(['0.0.0.0', '::', '']);

function overlaps(a: { host: string; port: number }, b: { host: string; port: number }): boolean {
  return a.port === b.port && (a.host === b.host || WILDCARD.has(a.host) || WILDCARD.has(b.host));
}
