import type { ServiceDef } from '../services.js';
import { ACCESS_LOG, ALARMS, METRICS, TRACING } from './keys.js';
import { AccessLogService } from './access-log.js';
import { AlarmService } from './alarms.js';
import { MetricsService } from './metrics.js';
import { TracingService } from './tracing.js';

/**
 * The observability services, started in this order with the gateway (src/services.ts). Others reach
 * them by key: `runtime.services.get(METRICS)` (keys.ts; docs/observability.md).
 */
export const OBSERVABILITY_SERVICES: ServiceDef[] = [
  {
    name: METRICS,
    start(runtime, loaded) {
      const cfg = loaded.config.observability.metrics;
      const svc = new MetricsService(cfg, runtime.pools);
      svc.mapOrigins(loaded.config);
      // Registered even when disabled would cost a call per request: only when enabled (a reload
      // that turns metrics on or off takes a restart).
      if (cfg.enabled) runtime.requestDone.push(svc.observe);
      return svc;
    },
  },
  {
    name: ACCESS_LOG,
    start(runtime, loaded) {
      const svc = new AccessLogService(runtime.requestDone, runtime.log, loaded.dir);
      svc.configure(loaded.config.observability.accessLog);
      return svc;
    },
  },
  {
    name: TRACING,
    start(runtime, loaded) {
      return new TracingService(runtime.requestDone, runtime.log, loaded.config.observability.tracing.otlp);
    },
  },
  {
    name: ALARMS,
    deps: [METRICS],
    start(runtime, loaded) {
      const metrics = runtime.services.get(METRICS)!;
      return new AlarmService(loaded.config, metrics, runtime.clock, runtime.log);
    },
  },
];
