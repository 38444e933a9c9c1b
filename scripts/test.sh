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

echo "== a throwaway PostgreSQL cluster (the store's tests run on both engines)"
PG_ENV=$(bash scripts/postgres.sh start)
export $PG_ENV
trap 'bash scripts/postgres.sh stop "$MAMORI_PG_DIR"' EXIT

echo "== tests"
# The durability tests run the server binary itself (to kill it with SIGKILL).
cargo build -p mamori-server
cargo test -p mamori-shared -p mamori-sheets -p mamori-server -p mamori-tests

echo "== the server-level end-to-end suites again, every server on PostgreSQL"
MAMORI_TEST_ENGINE=postgres cargo test -p mamori-tests \
  --test registration --test people_passkeys --test credentials_and_reauth --test access_on_sync \
  --test actor_claims --test who_answered --test vendor_devices_access --test vendor_across_facilities \
  --test sync_refused_changes --test sessions_on_sockets --test sync_two_devices_converge \
  --test sync_unload_reload --test sync_large_backlog --test sync_bad_input --test sync_interop_js \
  --test reminder_mails --test typed_api
