import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));

/** The browser entry point (src/dashboard/ui/app.ts); not compiled by tsc, only bundled. */
export const UI_ENTRY = join(HERE, 'ui', 'app.ts');

/** Where `npm run build` writes the bundle, next to this module in dist/. */
export const BUNDLE_FILE = join(HERE, 'assets', 'app.js');

/**
 * Bundles the dashboard (preact + htm and our pages) into one ES module with esbuild. Everything the
 * page runs is in it: nothing comes from a CDN. esbuild is a devDependency, so this runs at
 * `npm run build` (scripts/build-dashboard.mjs) and, when the gateway runs from src/ through tsx,
 * on the first request for the bundle.
 */
export async function buildBundle(entry: string = UI_ENTRY): Promise<string> {
  const esbuild = await import('esbuild');
  const out = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    minify: true,
    legalComments: 'none',
    write: false,
    logLevel: 'silent',
  });
  const file = out.outputFiles[0];
  if (!file) throw new Error('esbuild produced no dashboard bundle');
  return file.text;
}

let bundle: Promise<string> | undefined;

/** The bundle: the built file from dist/ if there is one, else built once in memory (running from src/). */
export function dashboardBundle(): Promise<string> {
  bundle ??= readFile(BUNDLE_FILE, 'utf8').catch(async (err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
    try {
      return await buildBundle();
    } catch (e) {
      bundle = undefined;
      throw new Error(
        `the dashboard bundle is missing (${BUNDLE_FILE}) and could not be built: ${(e as Error).message}; run npm run build`,
      );
    }
  });
  return bundle;
}
