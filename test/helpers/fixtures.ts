import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** test/fixtures/: the third-party data the tests, scripts and benchmarks read (provenance in its README.md). */
export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

/** A path under test/fixtures/, e.g. fixture('corpus', 'openapi'). */
export function fixture(...parts: string[]): string {
  return join(FIXTURES, ...parts);
}
