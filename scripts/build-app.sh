#!/usr/bin/env bash
# Builds the app (release wasm) into app/dist with the pinned tools from scripts/setup.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.tools/node_modules/.bin:$HOME/.cargo/bin:$PATH"
# The build's name, shown in the app's settings; a new commit is a new build.
MAMORI_BUILD="${MAMORI_BUILD:-$(git rev-parse --short HEAD 2>/dev/null || echo local)}"
export MAMORI_BUILD
(cd app && trunk build --release)
