import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { DOC, importCorpus, renderDoc, snapshotPath, snapshotText } from '../../scripts/import-corpus.js';

// The config and the report of every corpus file, as reviewed in docs/aws-compatibility.md ("The corpus,
// reviewed"). A change to what an importer produces shows up here as a diff; `npm run corpus` accepts it.
const imports = importCorpus();

describe('import corpus snapshots (npm run corpus to update)', () => {
  for (const i of imports) {
    test(`${i.kind}/${i.file}`, () => {
      const path = snapshotPath(i);
      assert.ok(existsSync(path), `no snapshot ${path}: run npm run corpus`);
      assert.equal(
        snapshotText(i),
        readFileSync(path, 'utf8'),
        `${i.file}: the import changed; review it and run npm run corpus`,
      );
    });
  }
  test('docs/import-corpus.md lists every note', () => {
    assert.equal(readFileSync(DOC, 'utf8'), renderDoc(imports), 'docs/import-corpus.md is stale: run npm run corpus');
  });
});
