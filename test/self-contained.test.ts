import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ROOT } from './helpers/cli.js';
import { FIXTURES } from './helpers/fixtures.js';

/**
 * A fresh clone must pass `npm test` with nothing beside it: no tracked file may read or name the
 * folder that once sat next to the repository. The patterns are built at run time so this file
 * does not match itself.
 */
const DIR = ['sh', 'ared'].join('');
const PATTERNS = [`../${DIR}`, `/${DIR}/`, `'..', '${DIR}'`, `"..", "${DIR}"`];

/** Tracked files (CI runs on a clone, so git is there; a tarball without .git fails here on purpose). */
function trackedFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return out.split('\0').filter(Boolean);
}

describe('the repository is self-contained', () => {
  test(`no tracked file refers to ../${DIR}`, () => {
    const files = trackedFiles();
    assert.ok(files.length > 100, `git ls-files listed ${files.length} files`);
    const hits: string[] = [];
    for (const f of files) {
      let text: string;
      try {
        text = readFileSync(join(ROOT, f), 'utf8');
      } catch (err) {
        // Deleted in the work tree but not yet in the index: nothing to read.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      text.split('\n').forEach((line, i) => {
        if (PATTERNS.some((p) => line.includes(p))) hits.push(`${f}:${i + 1}: ${line.trim().slice(0, 160)}`);
      });
    }
    assert.deepEqual(
      hits,
      [],
      `these lines point outside the repository; copy the data into test/fixtures/ instead:\n${hits.join('\n')}`,
    );
  });

  test('every fixture is tracked and listed in test/fixtures/README.md', () => {
    const prefix = `${FIXTURES.slice(ROOT.length)}`.replace(/\\/g, '/');
    const fixtures = trackedFiles().filter(
      (f) => f.startsWith(prefix) && !f.startsWith(`${prefix}LICENSES/`) && f !== `${prefix}README.md`,
    );
    assert.ok(fixtures.length > 0, `no tracked files under ${prefix}`);
    const readme = readFileSync(join(FIXTURES, 'README.md'), 'utf8');
    // Each fixture's folder (corpus/openapi/, waf-corpus/, …) has a row naming it.
    const unlisted = [...new Set(fixtures.map((f) => f.slice(prefix.length, f.lastIndexOf('/') + 1)))].filter(
      (dir) => !readme.includes(dir),
    );
    assert.deepEqual(unlisted, [], 'fixture folders without a provenance row in test/fixtures/README.md');
  });
});
