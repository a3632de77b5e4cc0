/**
 * The gateway under soak, in its own process so its heap, RSS and descriptors are its own. Prints
 * one JSON line with its URLs and admin token, then a sample every second: heap used after a full GC, RSS, open fds.
 * Run by soak.test.ts as: node --expose-gc --import tsx soak-child.ts <config.yaml>
 */
import { readdirSync } from 'node:fs';
import { startGateway } from '../../src/index.js';

const gw = await startGateway({
  configPath: process.argv[2] as string,
  listen: '127.0.0.1:0',
  adminListen: '127.0.0.1:0',
  watch: false,
  logLevel: 'silent',
});
process.stdout.write(`${JSON.stringify({ url: gw.url, adminUrl: gw.adminUrl, adminToken: gw.adminToken })}\n`);
const gc = (globalThis as { gc?: () => void }).gc;
const timer = setInterval(() => {
  gc?.();
  const m = process.memoryUsage();
  process.stdout.write(
    `${JSON.stringify({ t: Date.now(), heap: m.heapUsed, rss: m.rss, fds: readdirSync('/proc/self/fd').length })}\n`,
  );
}, 1000);
process.on('SIGTERM', () => {
  clearInterval(timer);
  void gw.close().then(() => process.exit(0));
});
