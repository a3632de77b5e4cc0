import { fileURLToPath } from 'node:url';
import { startGateway } from '../gateway.js';
import { type RunningSample, type SampleKind, startSample } from '../samples/index.js';
import { parseCommandArgs } from './args.js';
import { type Io, runUntilSignal } from './commands.js';

/** examples/demo/portico.yaml in the package (works from src/ under tsx and from dist/). */
export const DEMO_CONFIG = fileURLToPath(new URL('../../examples/demo/portico.yaml', import.meta.url));

const BACKENDS: [env: string, kind: SampleKind, name: string][] = [
  ['GREETING_URL', 'greeting', 'greeting'],
  ['BOOKS_1_URL', 'books', 'books-1'],
  ['BOOKS_2_URL', 'books', 'books-2'],
  ['AUTHORS_1_URL', 'authors', 'authors-1'],
  ['AUTHORS_2_URL', 'authors', 'authors-2'],
];

/** Starts the sample backends on free loopback ports and returns the env the demo config reads. */
export async function startDemoBackends(): Promise<{ samples: RunningSample[]; env: Record<string, string> }> {
  const samples: RunningSample[] = [];
  const env: Record<string, string> = {};
  try {
    for (const [key, kind, name] of BACKENDS) {
      const s = await startSample(kind, { name });
      samples.push(s);
      env[key] = s.url;
    }
  } catch (err) {
    await Promise.all(samples.map((s) => s.close()));
    throw err;
  }
  return { samples, env };
}

export async function demoCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseCommandArgs('demo', argv, { listen: { type: 'string' }, 'admin-listen': { type: 'string' } });
  const { samples, env } = await startDemoBackends();
  const closeSamples = async () => {
    await Promise.all(samples.map((s) => s.close()));
  };
  let gw: Awaited<ReturnType<typeof startGateway>>;
  try {
    gw = await startGateway({
      configPath: DEMO_CONFIG,
      env: { ...io.env, ...env },
      ...(values.listen ? { listen: values.listen } : {}),
      ...(values['admin-listen'] ? { adminListen: values['admin-listen'] } : {}),
      logLevel: io.env.PORTICO_LOG_LEVEL ?? 'warn',
    });
  } catch (err) {
    await closeSamples();
    throw err;
  }
  const u = gw.url;
  io.out(`Portico demo is running.

  Gateway:  ${u}
  Admin:    ${gw.adminUrl || 'disabled'}  (Authorization: Bearer <token in ${gw.snapshot.loaded.dir}/portico-data/admin.token>)
  Dashboard: ${gw.adminUrl ? `${gw.adminUrl}/dashboard/  (sign in with that token)` : 'disabled'}
  Config:   ${DEMO_CONFIG}
  Backends: ${samples.map((s) => `${s.name} ${s.url}`).join(', ')}

Try:
  curl ${u}/production/api/greeting
  curl '${u}/production/api/greeting?name=Portico'
  curl -i ${u}/api/books          # x-served-by alternates books-1 / books-2
  curl ${u}/api/books/1
  curl ${u}/api/authors
  curl -i ${u}/production         # REST API, no route: 403 Missing Authentication Token
  curl -i ${u}/nope               # HTTP API: 404 Not Found

Press Ctrl+C to stop.`);
  await runUntilSignal(gw, closeSamples);
  return 0;
}
