#!/usr/bin/env bash
# Runs one end-to-end test file many times in a row while the machine is kept busy beside it (a test that
# fails once in twenty runs, or only when the machine is busy, is a bug), and says how many runs passed.
#   bash scripts/repeat-test.sh shared_tablet 20
set -euo pipefail
cd "$(dirname "$0")/.."
TEST="${1:?usage: repeat-test.sh <test file name, e.g. shared_tablet> [runs]}"
RUNS="${2:-20}"
export PATH="$PWD/.tools/node_modules/.bin:$HOME/.cargo/bin:$PATH" CARGO_INCREMENTAL=0
[ -f app/dist/index.html ] || bash scripts/build-app.sh
cargo build -q -p mamori-server
BIN=$(cargo test -q -p mamori-tests --test "$TEST" --no-run --message-format=json 2>/dev/null \
  | python3 -c 'import json,sys
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["kind"] == ["test"]:
        print(m["executable"])' | tail -1)
[ -x "$BIN" ] || { echo "[repeat] no test binary for $TEST" >&2; exit 1; }
# The other job: one busy process per core, for as long as the runs take.
LOAD=()
for _ in $(seq "$(nproc)"); do (while :; do :; done) & LOAD+=($!); done
trap 'kill "${LOAD[@]}" 2>/dev/null || true' EXIT
passed=0
for i in $(seq "$RUNS"); do
  if "$BIN" >"target/repeat-$TEST-$i.log" 2>&1; then
    passed=$((passed + 1)); rm -f "target/repeat-$TEST-$i.log"
  else
    echo "[repeat] run $i failed: target/repeat-$TEST-$i.log"
  fi
done
echo "[repeat] $TEST: $passed of $RUNS runs passed beside $(nproc) busy processes"
[ "$passed" = "$RUNS" ]
