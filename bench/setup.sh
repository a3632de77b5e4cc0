#!/usr/bin/env bash
# Installs the benchmark's optional peers, outside Portico's dependencies. Idempotent: installs only what is missing.
#   Debian packages: wrk (the load generator), nginx-light, haproxy and caddy (reference proxies)  - needs root or sudo
#   npm: fast-gateway 5.0.1 into bench/.peers/ (gitignored), from bench/peers/package.json
# Usage: bash bench/setup.sh            (then: npm run bench)
# Without it the bench still runs: load comes from autocannon, and the missing peers are skipped with a notice.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
PEERS="$HERE/.peers"

need=()
command -v wrk >/dev/null 2>&1 || need+=(wrk)
[ -x /usr/sbin/nginx ] || [ -x /usr/bin/nginx ] || need+=(nginx-light)
[ -x /usr/sbin/haproxy ] || [ -x /usr/bin/haproxy ] || need+=(haproxy)
command -v caddy >/dev/null 2>&1 || need+=(caddy)
if [ ${#need[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "bench/setup.sh: no apt-get; install ${need[*]} yourself (the bench skips what is missing)" >&2
  else
    sudo_cmd=$([ "$(id -u)" = 0 ] || echo sudo)
    echo "bench/setup.sh: apt-get install ${need[*]}" >&2
    $sudo_cmd apt-get update -qq
    $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
fi

# fast-gateway 5.0.1 asks for fast-proxy-lite ^1.1.3, which the npm registry does not serve: the override pins 1.1.2.
mkdir -p "$PEERS"
if ! cmp -s "$HERE/peers/package.json" "$PEERS/package.json" || [ ! -f "$PEERS/node_modules/fast-gateway/package.json" ]; then
  cp "$HERE/peers/package.json" "$PEERS/package.json"
  echo "bench/setup.sh: npm install fast-gateway into bench/.peers/" >&2
  (cd "$PEERS" && npm install --no-audit --no-fund --no-package-lock --loglevel=error)
fi

wrk -v 2>&1 | head -1 || true
nginx -v 2>&1 || true
haproxy -v 2>/dev/null | head -1 || true
caddy version 2>/dev/null || true
node -e 'const p = process.argv[1]; for (const n of ["fast-gateway", "fast-proxy-lite"]) console.log(n, require(p + "/node_modules/" + n + "/package.json").version)' "$PEERS"
