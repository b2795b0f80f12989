#!/usr/bin/env bash
# Release gate: pack every package as it would be published, lint the tarballs (publint,
# are-the-types-wrong), then install them into empty projects with npm and with pnpm on a PATH
# that has no C/C++ compiler, make or python, and use them from ESM, CommonJS and TypeScript.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
pnpm=${PNPM:-"npx -y pnpm"}
work=$(mktemp -d "${TMPDIR:-/tmp}/nori-packages-XXXXXX")
trap 'rm -rf "$work"' EXIT

cd "$root"
[ "${SKIP_BUILD:-}" = 1 ] || $pnpm build >/dev/null
mkdir -p "$work/packs"
for dir in packages/*/; do
  # Private workspace packages (e.g. @nori/test-support) are never published.
  [ "$(node -p "require('./${dir}package.json').private === true")" = true ] && continue
  (cd "$dir" && $pnpm pack --pack-destination "$work/packs" >/dev/null)
done

for tarball in "$work"/packs/*.tgz; do
  npx publint run --strict "$tarball" >/dev/null || { npx publint run --strict "$tarball"; exit 1; }
  # ESM only by decision (docs/RELEASING.md): require() of these packages works through Node's
  # require(esm) (>= 20.19, the engines floor), which attw's bundled TypeScript does not model.
  # node16 profile: TypeScript's legacy node10 resolution cannot see subpath exports (./conformance).
  npx attw --quiet --profile node16 "$tarball" --ignore-rules cjs-resolves-to-esm
done
echo "packages: publint and attw clean on $(ls "$work"/packs/*.tgz | wc -l) tarballs"

# A PATH with node and the package managers but no compiler toolchain: an install that needs
# node-gyp fails here instead of quietly compiling.
nocc="$work/nocc-bin"
mkdir -p "$nocc"
for tool in node npm npx sh bash env tar gzip git; do
  found=$(command -v "$tool" || true)
  [ -n "$found" ] && ln -s "$found" "$nocc/$tool"
done
for cc in cc gcc g++ c++ make python3 python; do
  if PATH="$nocc" command -v "$cc" >/dev/null 2>&1; then echo "compiler-free PATH still has $cc" >&2; exit 1; fi
done

project() {
  local name=$1
  local dir="$work/$name"
  mkdir -p "$dir"
  cp scripts/package-smoke/esm.mjs scripts/package-smoke/cjs.cjs scripts/package-smoke/types.mts "$dir/"
  printf '{ "name": "nori-smoke-%s", "private": true, "version": "0.0.0" }\n' "$name" >"$dir/package.json"
  echo "$dir"
}

tarballs=("$work"/packs/nori-codec-*.tgz "$work"/packs/nori-storage-*.tgz "$work"/packs/nori-wal-*.tgz \
  "$work"/packs/nori-observability-otel-*.tgz "$work"/packs/nori-cli-*.tgz "$work"/packs/nori-kv-example-*.tgz \
  "$work"/packs/nori-archive-*.tgz)

npm_dir=$(project npm)
(cd "$npm_dir" && PATH="$nocc" npm install --no-audit --no-fund --loglevel=error "${tarballs[@]}" @opentelemetry/api@1 typescript@5.9 @types/node@20 >/dev/null)

# pnpm resolves the @nori/* dependencies between tarballs through overrides (as the registry would).
pnpm_dir=$(project pnpm)
node -e '
  const [dir, ...tarballs] = process.argv.slice(1);
  const fs = require("fs");
  const pkg = JSON.parse(fs.readFileSync(dir + "/package.json", "utf8"));
  const overrides = {};
  for (const t of tarballs) {
    const name = "@nori/" + require("path").basename(t).replace(/^nori-/, "").replace(/-\d+\.\d+\.\d+\.tgz$/, "");
    overrides[name] = "file:" + t;
  }
  pkg.dependencies = { ...overrides, "@opentelemetry/api": "^1.9.0", typescript: "~5.9.0", "@types/node": "^20.19.0" };
  fs.writeFileSync(dir + "/package.json", JSON.stringify(pkg, null, 2));
  const yaml = ["overrides:", ...Object.entries(overrides).map(([k, v]) => `  "${k}": "${v}"`)].join("\n");
  fs.writeFileSync(dir + "/pnpm-workspace.yaml", yaml + "\n");
' "$pnpm_dir" "${tarballs[@]}"
(cd "$pnpm_dir" && PATH="$nocc" $pnpm install --config.confirmModulesPurge=false >/dev/null)

for dir in "$npm_dir" "$pnpm_dir"; do
  (
    cd "$dir"
    node esm.mjs
    node cjs.cjs
    for resolution in nodenext bundler; do
      module=$([ "$resolution" = bundler ] && echo esnext || echo nodenext)
      # pipefail would turn tsc's non-zero exit into a silently skipped `&&`: test the status itself.
      if ! npx tsc --noEmit --strict --skipLibCheck false --module "$module" --moduleResolution "$resolution" \
        --target es2022 --types node types.mts; then
        echo "tsc ($resolution) failed in $dir" >&2
        exit 1
      fi
    done
    PATH="$PATH:$dir/node_modules/.bin" nori-wal --version >/dev/null
    PATH="$PATH:$dir/node_modules/.bin" nori-kv --help >/dev/null
  )
  echo "packages: installed and used from ESM, CJS and TypeScript with $(basename "$dir") (no compiler on PATH)"
done
