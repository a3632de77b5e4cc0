// CPU profile of Portico's plain proxy path (scenario 4) under load: where a request's CPU time goes.
// `npm run bench:profile [-- --duration S --connections N]`. Starts the greeting backend and Portico
// (`node --cpu-prof dist/cli/main.js start`, pinned like the bench), loads it with autocannon, stops it
// with SIGTERM (the profile is written at exit) and prints the self time by category and the top
// functions. The .cpuprofile lands in bench/results/; open it in Chrome DevTools (Performance → Load
// profile) or speedscope for a flame graph. Bounded: the load stops after --duration, a watchdog after 3 min.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { choosePlacement, killChildren, pinSelf } from './lib/proc.js';
import { Targets } from './lib/targets.js';
import type { PorticoVariant } from './lib/portico-config.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PROFILED = [
  'plain',
  'observed',
  'full',
  'cached',
  'routes10k',
  'throttle',
] as const satisfies readonly PorticoVariant[];
const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '64' },
    variant: { type: 'string', default: 'plain' },
  },
  strict: true,
});
const duration = Number(values.duration);
const connections = Number(values.connections);
const variant = values.variant as (typeof PROFILED)[number];
if (!(duration > 0 && connections > 0) || !PROFILED.includes(variant)) {
  console.error(`usage: npm run bench:profile -- [--duration S] [--connections N] [--variant ${PROFILED.join('|')}]`);
  process.exit(2);
}
if (!existsSync(join(ROOT, 'dist/cli/main.js'))) {
  console.error('bench:profile: run `npm run build` first (the profile is of dist/)');
  process.exit(1);
}
const watchdog = setTimeout(() => {
  console.error('bench:profile: watchdog fired');
  killChildren();
  process.exit(3);
}, 180_000);
watchdog.unref();

const place = choosePlacement(true);
// The backend and the load generator (autocannon's worker, in this process) share a CPU; Portico has the other.
if (place.pinned) pinSelf(place.loadCpu);
const dir = await mkdtemp(join(tmpdir(), 'portico-profile-'));
try {
  const targets = new Targets(place, dir);
  const backend = await targets.backend();
  const profDir = join(dir, 'prof');
  const portico = await targets.portico(variant, backend.value, {
    nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${profDir}`],
  });
  const load = { url: `${portico.base}/api/greeting`, headers: portico.headers, connections };
  await autocannon({ ...load, duration: 2 }); // warm-up (JIT), in the profile too but dwarfed
  const run = await autocannon({ ...load, duration });
  console.log(
    `${variant}: ${run.requests.total} requests in ${duration} s (${Math.round(run.requests.average)} rps), non-2xx ${run.non2xx}, errors ${run.errors}`,
  );
  await portico.close(); // SIGTERM: the profile is written as node exits
  await backend.stop();
  const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('no .cpuprofile was written');
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  const out = join(ROOT, 'bench/results', `profile-${new Date().toISOString().replace(/[:.]/g, '-')}.cpuprofile`);
  renameSync(join(profDir, file), out);
  summarize(out);
  console.log(`profile: ${out}`);
} finally {
  killChildren();
  rmSync(dir, { recursive: true, force: true });
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

/** Self time by category (idle excluded) and the 25 busiest functions. */
function summarize(path: string): void {
  const p = JSON.parse(readFileSync(path, 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
  const self = new Map<number, number>();
  p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
  const byCat = new Map<string, number>();
  const byFn = new Map<string, number>();
  let busy = 0;
  for (const n of p.nodes) {
    const t = self.get(n.id) ?? 0;
    const { functionName: fn, url, lineNumber } = n.callFrame;
    if (fn === '(idle)' || t === 0) continue;
    busy += t;
    const cat = category(fn, url);
    byCat.set(cat, (byCat.get(cat) ?? 0) + t);
    const key = `${fn || '(anonymous)'}  ${url.replace(/^.*\/(node_modules|dist)\//, '$1/').replace(/^file:\/\//, '')}:${lineNumber + 1}`;
    byFn.set(key, (byFn.get(key) ?? 0) + t);
  }
  const pct = (t: number) => `${((100 * t) / busy).toFixed(1).padStart(5)} %`;
  console.log(`\nself time by category (${(busy / 1e6).toFixed(2)} s busy):`);
  for (const [k, v] of [...byCat].sort((a, b) => b[1] - a[1])) console.log(`  ${pct(v)}  ${k}`);
  console.log('\nbusiest functions (self time):');
  for (const [k, v] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`  ${pct(v)}  ${k}`);
}

function category(fn: string, url: string): string {
  if (fn === '(garbage collector)') return 'garbage collection';
  if (fn === '(program)') return 'V8/native, unattributed';
  if (!url)
    return fn === 'writev' || fn === 'writeLatin1String' || fn === 'writeUtf8String' || fn === 'writeBuffer'
      ? 'socket writes (syscalls)'
      : 'native';
  if (url.includes('node_modules/undici')) return 'undici (upstream client)';
  if (url.startsWith('wasm')) return 'undici llhttp (wasm)';
  if (url.includes('/dist/')) return 'portico';
  if (/^node:(_http|http)/.test(url)) return 'node:http';
  if (/^node:(net|internal\/stream_base|internal\/streams|stream)/.test(url)) return 'node streams/net';
  if (url.startsWith('node:')) return 'node core (events, timers, buffers, ...)';
  return 'other';
}
