// The machine's own stalls: spins on one CPU for --seconds, reading the clock, and reports the gaps between reads.
// A process alone on an idle CPU should see none over a few µs; on a virtual machine the hypervisor's scheduling
// shows up here as gaps of milliseconds, which every process on that CPU (a proxy, a backend) also suffers.
// The loop allocates nothing, so V8's GC does not add gaps of its own. Run it under `taskset -c CPU`.
// Usage: node bench/hiccup.mjs --seconds 3      Prints one JSON line: {seconds, maxMs, over1ms, stalledMs}.
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '3' } }, strict: true });
const seconds = Number(values.seconds);
if (!(seconds > 0)) {
  console.error('usage: node bench/hiccup.mjs --seconds S');
  process.exit(2);
}
const end = performance.now() + seconds * 1000;
let last = performance.now();
let maxMs = 0;
let over1ms = 0;
let stalledMs = 0;
for (;;) {
  const now = performance.now();
  const gap = now - last;
  last = now;
  if (gap > maxMs) maxMs = gap;
  if (gap > 1) {
    over1ms++;
    stalledMs += gap;
  }
  if (now >= end) break;
}
process.stdout.write(
  `${JSON.stringify({ seconds, maxMs: Math.round(maxMs * 100) / 100, over1ms, stalledMs: Math.round(stalledMs) })}\n`,
);
