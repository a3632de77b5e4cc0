import type { Feature } from '../../feature.js';
import { AdminError } from '../../admin/types.js';
import { ACME } from './keys.js';
import { ACME_SERVICE } from './service.js';

/** Automatic certificates (docs/edge.md "Automatic certificates (ACME)"); its config sits in tls.acme. */
export const manifest: Feature = {
  name: 'acme',
  services: [ACME_SERVICE],
  adminRoutes: [
    {
      method: 'GET',
      path: '/acme',
      description: 'ACME certificates per listener: domain, serial, issuer, validity, orders, last error (never keys)',
      handle: ({ target }) => {
        const acme = target.runtime.services.get(ACME);
        if (!acme) throw new AdminError(404, 'ACME is not running');
        return { body: acme.status() };
      },
    },
  ],
};
