import { AdminError, type AdminRoute } from '../admin/types.js';
import { isPorticoWorker, primaryChannel } from './ipc.js';

/** Workers (`portico start --workers N`): which process answered, and a rolling restart. */
export const CLUSTER_ROUTES: AdminRoute[] = [
  {
    method: 'GET',
    path: '/cluster',
    description: 'whether this gateway runs as a worker, and its pid',
    handle: () => ({ body: { worker: isPorticoWorker(), pid: process.pid } }),
  },
  {
    method: 'POST',
    path: '/cluster/restart',
    description: 'rolling restart of the workers (202: started; one at a time, no request dropped)',
    handle: () => {
      if (!isPorticoWorker())
        throw new AdminError(409, 'this gateway does not run with --workers; restart its process instead');
      primaryChannel().send({ t: 'restart' });
      return { status: 202, body: { ok: true, message: 'rolling restart started' } };
    },
  },
];
