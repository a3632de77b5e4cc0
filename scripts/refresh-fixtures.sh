#!/usr/bin/env bash
# Refreshes test/fixtures/ from a checkout of the collected corpus (SOURCE holds corpus/ and
# waf-corpus/ in the layout test/fixtures/ mirrors; see test/fixtures/README.md).
#   - corpus/openapi/ and corpus/cloudformation/ are taken whole: the importer tests run every file.
#   - every other fixture is taken file for file: only files already in test/fixtures/ are copied,
#     so nothing that no test reads comes in. Add a new one by hand first (and a README row).
# It only copies; review with `git status`/`git diff`, then run `npm run corpus` (import snapshots
# and docs/import-corpus.md), `npx tsx scripts/waf-corpus.ts` (docs/waf.md figures) and `npm test`.
# Usage: bash scripts/refresh-fixtures.sh SOURCE
set -euo pipefail
src=${1:?usage: bash scripts/refresh-fixtures.sh SOURCE (the folder holding corpus/ and waf-corpus/)}
src=$(cd "$src" && pwd)
cd "$(dirname "$0")/.."
dst=test/fixtures

for dir in corpus/openapi corpus/cloudformation; do
  [ -d "$src/$dir" ] || { echo "refresh-fixtures: $src/$dir not found" >&2; exit 1; }
  # Whole folder: drop what the source no longer has, take what it added.
  find "$dst/$dir" -maxdepth 1 -type f -delete
  cp "$src/$dir"/* "$dst/$dir/"
done

missing=0
while IFS= read -r f; do
  rel=${f#"$dst"/}
  case "$rel" in
    README.md | LICENSES/* | corpus/openapi/* | corpus/cloudformation/*) continue ;;
  esac
  if [ -f "$src/$rel" ]; then
    cp "$src/$rel" "$f"
  else
    echo "refresh-fixtures: $src/$rel not found; kept the current copy" >&2
    missing=1
  fi
done < <(find "$dst" -type f | sort)

chmod -R u+w "$dst"
git status --short -- "$dst"
exit "$missing"
