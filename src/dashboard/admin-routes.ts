import { AdminError, type AdminResponse, type AdminRoute } from '../admin/types.js';
import { dashboardBundle } from './bundle.js';
import { APP_CSS, CSP, INDEX_HTML } from './page.js';

const HEADERS = {
  'content-security-policy': CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

const asset = (text: string, contentType: string): AdminResponse => ({ text, contentType, headers: HEADERS });

/**
 * The web dashboard (docs/operations.md#dashboard): an HTML shell, a stylesheet and one bundled
 * script, served without the token (they hold no data). The page asks for the admin token on its
 * login form and reads the admin API with it, like any other client.
 */
export const DASHBOARD_ROUTES: AdminRoute[] = [
  {
    method: 'GET',
    path: '/dashboard',
    description: 'the web dashboard (redirects to /dashboard/)',
    public: true,
    handle: () => ({ status: 308, text: '', headers: { location: '/dashboard/' } }),
  },
  {
    method: 'GET',
    path: '/dashboard/',
    description: 'the web dashboard',
    public: true,
    handle: () => asset(INDEX_HTML, 'text/html; charset=utf-8'),
  },
  {
    method: 'GET',
    path: '/dashboard/:file',
    description: 'the dashboard’s script and stylesheet',
    public: true,
    handle: async ({ params }) => {
      if (params.file === 'app.js') return asset(await dashboardBundle(), 'text/javascript; charset=utf-8');
      if (params.file === 'app.css') return asset(APP_CSS, 'text/css; charset=utf-8');
      throw new AdminError(404, `no dashboard file ${params.file}; files: app.js, app.css`);
    },
  },
];
