#!/usr/bin/env bash
# Builds the app (release wasm) into app/dist with the pinned tools from scripts/setup.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.tools/node_modules/.bin:$HOME/.cargo/bin:$PATH"
(cd app && trunk build --release)
