import { admin } from '../access/key-helpers.js';
import { startTestGateway, startUpstream, type TestGateway, type TestUpstream } from '../helpers/gateway.js';

export const TOKEN = 'dashboard-test-token-0123456789abcdef';

/** Two real upstreams (blue, green) behind a named upstream, and a REST API with an API key. */
export function dashboardConfig(blue: string, green: string, broken = false): string {
  return `version: 1
admin: { token: "${TOKEN}" }
server:
  timeouts: { drainMs: 500 }
usagePlans:
  basic: { stages: { pets/prod: {} }, throttle: { rate: 100, burst: 200 } }
upstreams:
  books:
    targets:
      - { url: ${blue}, weight: 50 }
      - { url: ${green}, weight: 50 }
apis:
  - name: pets
    type: rest
    stages: { prod: {} }
    routes:
      - route: GET /pets
        apiKeyRequired: true
        integration: { type: mock, statusCode: 200, body: pets }
  - name: books
    type: http
    basePath: /books
    stages: { "$default": {} }
    routes:
      - route: ${broken ? 'GET /x/{id+}/y' : 'ANY /{proxy+}'}
        integration: { type: http_proxy, upstream: books }
`;
}

export interface DashboardFixture {
  gw: TestGateway;
  blue: TestUpstream;
  green: TestUpstream;
  /** The admin API with the token: status and JSON body. */
  admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }>;
  close(): Promise<void>;
}

export async function startDashboardFixture(): Promise<DashboardFixture> {
  const blue = await startUpstream();
  const green = await startUpstream();
  const gw = await startTestGateway(dashboardConfig(blue.url, green.url));
  return {
    gw,
    blue,
    green,
    admin: (method, path, body) => admin(gw.gw, method, path, body),
    async close() {
      await gw.close();
      await Promise.all([blue.close(), green.close()]);
    },
  };
}
