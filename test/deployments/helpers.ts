import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Gateway, startGateway, type StartOptions } from '../../src/index.js';
import type { Io } from '../../src/kernel/cli.js';
import { call } from '../helpers/http-call.js';

export { seeded } from '../../src/upstream/balancers/balancer.contract.js';

/** A REST API "shop" (stages prod and beta) whose routes answer their version; `extra` adds routes. */
export const shop = (v: number, extra = '') => `version: 1
admin: { token: "admin-token-literal-0123456789" }
apis:
  - name: shop
    type: rest
    stages:
      prod: {}
      beta: {}
    routes:
      - route: GET /v
        integration: { type: mock, body: '{"v":${v}}' }
${extra}`;

export const route = (key: string, body: string) => `      - route: ${key}
        integration: { type: mock, body: '${body}' }
`;

/** An admin API answer, read field by field in the tests. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** A gateway in a temp dir of its own (the SQLite store at <dir>/portico-data/portico.db), restartable. */
export class Node {
  gw!: Gateway;
  readonly dir: string;
  readonly file: string;
  readonly opts: Partial<StartOptions>;
  private constructor(dir: string, opts: Partial<StartOptions>) {
    this.dir = dir;
    this.file = join(dir, 'portico.yaml');
    this.opts = opts;
  }
  static async start(yaml: string, opts: Partial<StartOptions> = {}, dir?: string): Promise<Node> {
    const n = new Node(dir ?? (await mkdtemp(join(tmpdir(), 'portico-deploy-'))), opts);
    await writeFile(n.file, yaml);
    await n.restart();
    return n;
  }
  async restart(): Promise<void> {
    this.gw = await startGateway({
      configPath: this.file,
      listen: '127.0.0.1:0',
      adminListen: '127.0.0.1:0',
      watch: false,
      logLevel: 'silent',
      ...this.opts,
    });
  }
  get port(): number {
    return Number(new URL(this.gw.url).port);
  }
  /** The body of GET /prod<path> (or another stage). */
  async get(path: string, stage = 'prod'): Promise<string> {
    return (await call(this.port, 'GET', `/${stage}${path}`)).body;
  }
  async admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> {
    const res = await fetch(`${this.gw.adminUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.gw.adminToken}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: await res.json() };
  }
  /** Flags that point a CLI command at this node's admin API. */
  get flags(): string[] {
    return ['--admin', this.gw.adminUrl, '--token', this.gw.adminToken];
  }
  async stop(): Promise<void> {
    await this.gw.close();
  }
  async remove(): Promise<void> {
    await this.gw.close();
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** An Io that keeps what a command prints. */
export function captureIo(): Io & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (l) => lines.push(l), err: (l) => errors.push(l), env: {} };
}
