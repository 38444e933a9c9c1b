#!/usr/bin/env bash
# Builds and runs Mamori: the app and the server, on the embedded default store in ./data.
# Extra arguments go to the server (e.g. --addr 0.0.0.0:8080); see `--help`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build-app.sh
exec cargo run --profile server -p mamori-server -- --assets app/dist --data-dir data "$@"
