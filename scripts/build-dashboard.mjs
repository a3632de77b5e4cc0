#!/usr/bin/env node
// `npm run build`, after tsc: bundles the dashboard's browser code (src/dashboard/ui) into
// dist/dashboard/assets/app.js with the options in src/dashboard/bundle.ts (compiled to dist/ first).
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUNDLE_FILE, buildBundle } from '../dist/dashboard/bundle.js';

const text = await buildBundle(fileURLToPath(new URL('../src/dashboard/ui/app.ts', import.meta.url)));
await mkdir(dirname(BUNDLE_FILE), { recursive: true });
await writeFile(BUNDLE_FILE, text);
