import { defineService } from '../kernel/services.js';
import type { AccessLogService } from './access-log.js';
import type { AlarmService } from './alarms.js';
import type { MetricsService } from './metrics.js';

/** The observability services' keys: `runtime.services.get(METRICS)` is a MetricsService. */
export const METRICS = defineService<MetricsService>('metrics');
export const ACCESS_LOG = defineService<AccessLogService>('accessLog');
export const ALARMS = defineService<AlarmService>('alarms');
export { TRACING } from './tracing.js';
