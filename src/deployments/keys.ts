import { defineService } from '../kernel/services.js';
import type { DeploymentsService } from './service.js';

/** The deployments service (src/deployments/service.ts). */
export const DEPLOYMENTS = defineService<DeploymentsService>('deployments');
