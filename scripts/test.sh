#!/usr/bin/env bash
# Runs every test: formatting and lints, unit tests, and the end-to-end tests (real server on localhost,
# headless Chromium). Installs what it needs first. The wasm is built once per run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --browser
export PATH="$PWD/.tools/node_modules/.bin:$HOME/.cargo/bin:$PATH"
# Incremental caches grow by gigabytes per test binary and a test run gains nothing from them.
export CARGO_INCREMENTAL=0

echo "== format and lints"
cargo fmt --all -- --check
cargo clippy --all-targets -- -D warnings
cargo clippy -p mamori-app -p mamori-sheets --target wasm32-unknown-unknown -- -D warnings

echo "== build the app (once)"
bash scripts/build-app.sh

echo "== tests"
# The durability tests run the server binary itself (to kill it with SIGKILL).
cargo build -p mamori-server
cargo test -p mamori-shared -p mamori-sheets -p mamori-server -p mamori-tests
