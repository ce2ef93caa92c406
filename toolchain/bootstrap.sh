#!/usr/bin/env bash
# Installs what the builds need, and nothing that is already there (Debian bookworm).
#
#   toolchain/bootstrap.sh [--for start|test]
#
#   --for start   WASI toolchain (clang-19 + wasi-libc + wasm libc++), Emscripten (the demos run
#                 the package's wasm core in the page), cmake, ninja, RapidJSON, Node.js and the
#                 npm packages (workerd): enough for ./dev start
#   --for test    (default) also g++, GoogleTest, Google Benchmark and Chromium
#
# Idempotent and fast when everything is present: dpkg-query decides what apt-get must
# install, and npm runs only when node_modules is missing or older than the lock file.
# Only Debian's archive and the npm registry are used (no wasi-sdk, emsdk or browser downloads).
set -euo pipefail

purpose=test
while (($#)); do
  case "$1" in
    --for) purpose="${2:?--for needs start or test}"; shift 2 ;;
    --for=*) purpose="${1#--for=}"; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "bootstrap.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done

start_packages=(
  ca-certificates cmake ninja-build rapidjson-dev
  # WASI: Debian's pieces of wasi-sdk. Never libc++-16-dev-wasm32: apt would remove the -19 one.
  clang-19 lld-19 llvm-19 wasi-libc libc++-19-dev-wasm32 libc++abi-19-dev-wasm32 libclang-rt-19-dev-wasm32
  emscripten node-acorn binaryen  # the web build: the npm package's core, which the demos run
)
test_packages=(
  g++ libgtest-dev googletest libbenchmark-dev
  libclang-rt-19-dev  # libFuzzer + ASan/UBSan runtimes for clang-19 (the fuzz targets in tests/fuzz)
  curl  # examples/*/curl.sh, run by tests/js/examples.test.js
  chromium
)
case "$purpose" in
  start) packages=("${start_packages[@]}") ;;
  test)  packages=("${start_packages[@]}" "${test_packages[@]}") ;;
  *) echo "bootstrap.sh: --for must be start or test, not '$purpose'" >&2; exit 2 ;;
esac

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
say() { printf '[bootstrap] %s\n' "$*" >&2; }

sudo_cmd=()
if [[ $EUID -ne 0 ]]; then
  if command -v sudo >/dev/null; then sudo_cmd=(sudo); else
    say "not root and no sudo: missing packages cannot be installed"; fi
fi

# Node.js from Debian only when there is none (a newer Node from elsewhere is kept).
if ! command -v node >/dev/null; then
  packages+=(nodejs npm)
elif ! command -v npm >/dev/null; then
  say "node is installed but npm is not: install npm alongside your Node.js" >&2
  exit 1
fi

missing=()
for pkg in "${packages[@]}"; do
  status="$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)"
  [[ "$status" == installed ]] || missing+=("$pkg")
done

if ((${#missing[@]})); then
  say "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# npm packages (workerd, playwright-core, google-closure-compiler).
cd "$repo_root"
stamp=node_modules/.package-lock.json
if [[ ! -f "$stamp" || package.json -nt "$stamp" || web/package.json -nt "$stamp" || ( -f package-lock.json && package-lock.json -nt "$stamp" ) ]]; then
  if [[ -f package-lock.json ]]; then
    say "npm ci"
    npm ci --no-audit --no-fund --loglevel=error
  else
    say "npm install"
    npm install --no-audit --no-fund --loglevel=error
  fi
  # npm leaves the stamp alone when nothing changed; touch it so the next run is a no-op.
  [[ -f "$stamp" ]] && touch "$stamp"
fi
