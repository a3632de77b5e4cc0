// The import rules of .dependency-cruiser.cjs (docs/architecture.md#import-rules): the real tree passes them,
// and each rule fires on a small tree that breaks it, so a rule that silently stopped matching would fail here.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { test } from 'node:test';
import { ROOT } from '../helpers/cli.js';

const run = promisify(execFile);
const DEPCRUISE = join(ROOT, 'node_modules', '.bin', 'depcruise');
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');

interface Violation {
  rule: { name: string; severity: string };
  from: string;
  to: string;
}

async function cruise(cwd: string): Promise<Violation[]> {
  const { stdout } = await run(DEPCRUISE, ['src', '--config', CONFIG, '--output-type', 'json'], {
    cwd,
    maxBuffer: 64 * 1024 * 1024,
  }).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
  return (JSON.parse(stdout) as { summary: { violations: Violation[] } }).summary.violations;
}

test('src/ has no import cycle and breaks no import rule', async () => {
  const violations = await cruise(ROOT);
  assert.deepEqual(
    violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`),
    [],
  );
});

test('each import rule fires on a tree that breaks it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'portico-deps-'));
  try {
    const files: Record<string, string> = {
      'tsconfig.json': JSON.stringify({
        compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true },
      }),
      // A type-level cycle between two core files.
      'src/pipeline/a.ts': "import type { B } from './b.js';\nexport interface A { b?: B }\n",
      'src/pipeline/b.ts': "import type { A } from './a.js';\nexport interface B { a?: A }\n",
      // The kernel importing the core.
      'src/kernel/k.ts': "import { x } from '../pipeline/c.js';\nexport const k = x;\n",
      'src/pipeline/c.ts': 'export const x = 1;\n',
      // A feature reaching into another's internals at run time (its manifest, schema or a type would do).
      'src/cache/policy.ts':
        "import { detect } from '../waf/engine.js';\nimport type { T } from '../waf/types.js';\nimport { M } from '../waf/manifest.js';\nexport const p = [detect, M] as unknown as T;\n",
      'src/waf/engine.ts': 'export const detect = 1;\n',
      'src/waf/types.ts': 'export type T = number;\n',
      'src/waf/manifest.ts': 'export const M = 1;\n',
      // A feature importing the composition root.
      'src/features.ts': 'export const FEATURES = [];\n',
      'src/cors/index.ts': "import { FEATURES } from '../features.js';\nexport const n = FEATURES.length;\n",
    };
    for (const [path, text] of Object.entries(files)) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), text);
    }
    const found = (await cruise(dir)).map((v) => `${v.rule.name} ${v.rule.severity} ${v.from} → ${v.to}`).sort();
    assert.deepEqual(found, [
      'features-import-only-manifests-of-other-features error src/cache/policy.ts → src/waf/engine.ts',
      'kernel-imports-no-feature error src/kernel/k.ts → src/pipeline/c.ts',
      'no-circular error src/pipeline/a.ts → src/pipeline/b.ts',
      'only-gateway-and-cli-import-the-composition-root error src/cors/index.ts → src/features.ts',
    ]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
