import type { Feature } from '../feature.js';
import { functionServiceDef } from './pool.js';

/** Function integrations: handlers run in worker threads (docs/functions.md). */
export const manifest: Feature = {
  name: 'functions',
  services: [functionServiceDef],
};
