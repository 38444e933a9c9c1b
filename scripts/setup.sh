#!/usr/bin/env bash
# Installs what Mamori needs on a fresh Debian machine with rustup: the wasm target, trunk, wasm-bindgen-cli
# (exactly the version in Cargo.lock), wasm-split-cli (the app's wasm is split), a wasm-opt that works (binaryen
# from npm: Debian's breaks the app) and,
# with --browser, Debian's Chromium, ChromeDriver and a Japanese font for the browser tests; with --bench, those
# and the reference automerge-repo sync server (npm) that the load benchmark runs beside Mamori's.
# Safe to run again: every step is skipped when the right version is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

TRUNK_VERSION=0.21.14
BINARYEN_VERSION=132.0.0
WASM_SPLIT_VERSION=0.2.4
say() { echo "[setup] $*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

command -v cargo >/dev/null || { echo "[setup] cargo not found: install Rust with rustup first" >&2; exit 1; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if [ "$(trunk --version 2>/dev/null || true)" != "trunk $TRUNK_VERSION" ]; then
  say "installing trunk $TRUNK_VERSION (a few minutes, once)"
  cargo install trunk --version "$TRUNK_VERSION" --locked
fi

# wasm-bindgen-cli must match the wasm-bindgen crate in Cargo.lock exactly. It is installed without --locked:
# its own lock file pins a dependency too new for this registry.
WB_VERSION=$(awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
grep -q "wasm_bindgen = \"$WB_VERSION\"" app/Trunk.toml || {
  echo "[setup] app/Trunk.toml must pin wasm_bindgen = \"$WB_VERSION\" (the version in Cargo.lock)" >&2; exit 1; }
if [ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $WB_VERSION" ]; then
  say "installing wasm-bindgen-cli $WB_VERSION (a few minutes, once)"
  cargo install wasm-bindgen-cli --version "$WB_VERSION" --force
fi

# wasm-split (#23): the screens off the first screen's path become a chunk loaded on first use
# (scripts/split-app.sh). Its module format must match the wasm_split_helpers that Leptos pulls in.
if ! cargo install --list | grep -qx "wasm_split_cli_support v$WASM_SPLIT_VERSION:"; then
  say "installing wasm-split-cli $WASM_SPLIT_VERSION (a minute or two, once)"
  cargo install wasm_split_cli_support --version "$WASM_SPLIT_VERSION" --locked --features build-binary
fi

if ! .tools/node_modules/.bin/wasm-opt --version 2>/dev/null | grep -q "version ${BINARYEN_VERSION%%.*}"; then
  say "installing wasm-opt (binaryen $BINARYEN_VERSION from npm)"
  mkdir -p .tools
  npm install --prefix .tools --no-audit --no-fund --loglevel=error "binaryen@$BINARYEN_VERSION"
fi

MODE="${1:-}"
if [ "$MODE" = "--browser" ] || [ "$MODE" = "--bench" ]; then
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null || ! command -v pdftotext >/dev/null || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then
    # pdftotext (poppler-utils): a sealed check is read back from the printed PDF as an inspector would.
    say "installing Chromium, ChromeDriver, pdftotext and a Japanese font (Debian packages)"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq chromium chromium-driver poppler-utils fonts-noto-cjk >/dev/null
  fi
fi
if { [ "$MODE" = "--browser" ] || [ "$MODE" = "--bench" ]; } && [ ! -d tests/interop/node_modules/@automerge/automerge-repo ]; then
  say "installing the reference automerge-repo client for the interop test (npm)"
  # `npm install` (with the committed lock), not `npm ci`: npm 11 rejects this lock over optional platform packages.
  npm install --prefix tests/interop --no-audit --no-fund --loglevel=error
fi
if [ "$MODE" = "--bench" ] && [ ! -d tests/reference-server/node_modules/@automerge/automerge-repo-sync-server ]; then
  say "installing the reference automerge-repo sync server for the load benchmark (npm)"
  npm install --prefix tests/reference-server --no-audit --no-fund --loglevel=error
fi
say "ready"
