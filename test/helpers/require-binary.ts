import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

/**
 * Outside binaries some suites need (nginx, haproxy, slowhttptest, redis-server, chromium).
 * The rule: when one is missing the test is skipped with a visible notice, except when
 * PORTICO_REQUIRE_ALL=1 (CI sets it), where a missing binary fails the test instead.
 */
const EXTRA_DIRS = ['/usr/sbin', '/usr/local/sbin', '/sbin'];

/** Absolute path of an executable on PATH (or in the sbin directories), else undefined. */
export function findBinary(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':').filter(Boolean), ...EXTRA_DIRS];
  for (const dir of dirs) {
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * The binary's path, or undefined after skipping the test (with a notice on stderr and in the test
 * report). Under PORTICO_REQUIRE_ALL=1 a missing binary throws, so the test fails.
 */
export function requireBinary(t: TestContext, name: string, install: string): string | undefined {
  const found = findBinary(name);
  if (found) return found;
  const why = `${name} is not installed (${install})`;
  if (process.env.PORTICO_REQUIRE_ALL === '1') throw new Error(`${why}; PORTICO_REQUIRE_ALL=1 makes this a failure`);
  process.stderr.write(`\n  SKIPPED: ${t.name}: ${why}\n`);
  t.diagnostic(`skipped: ${why}`);
  t.skip(why);
  return undefined;
}
