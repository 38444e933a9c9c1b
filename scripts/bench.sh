#!/usr/bin/env bash
# Prints Mamori's benchmark figures (sizes, load times, on-device storage). Figures, not pass/fail.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --browser
bash scripts/build-app.sh
cargo run --profile server -q -p mamori-tests --bin bench
