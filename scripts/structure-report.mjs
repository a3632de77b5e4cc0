#!/usr/bin/env node
// Structure figures for docs/architecture.md: source files over 400 lines, functions over 80 lines
// and lines over 120 characters, in src/ (tests excluded). Usage: node scripts/structure-report.mjs [--list]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

const list = process.argv.includes('--list');
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts')) files.push(p);
  }
})('src');
files.sort();

const bigFiles = [];
const bigFunctions = [];
let longLines = 0;
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (lines.length > 400) bigFiles.push([file, lines.length]);
  longLines += lines.filter((l) => l.length > 120).length;
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const visit = (node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
      const end = sf.getLineAndCharacterOfPosition(node.end).line;
      const n = end - start + 1;
      if (n > 80) {
        const name =
          node.name?.getText(sf) ??
          (ts.isVariableDeclaration(node.parent) ? node.parent.name.getText(sf) : '<anonymous>');
        bigFunctions.push([`${file}:${start + 1}`, name, n]);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
}
console.log(`source files: ${files.length}`);
console.log(`files over 400 lines: ${bigFiles.length}`);
if (list) for (const [f, n] of bigFiles) console.log(`  ${n}\t${f}`);
console.log(`functions over 80 lines: ${bigFunctions.length}`);
if (list) for (const [f, name, n] of bigFunctions.sort((a, b) => b[2] - a[2])) console.log(`  ${n}\t${name}\t${f}`);
console.log(`lines over 120 characters: ${longLines}`);
