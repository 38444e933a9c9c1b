#!/usr/bin/env bash
# Prints Mamori's benchmark figures. Figures, not pass/fail.
#   bash scripts/bench.sh         everything: app sizes and load times, on-device storage, then sync under load
#   bash scripts/bench.sh app     only the app part (headless Chromium)
#   bash scripts/bench.sh ledger  the sizes and the 機器台帳 import and typing figures only
#   bash scripts/bench.sh cold    the sizes and the offline cold start (new browser processes) only
#   bash scripts/bench.sh sync    only sync under load: Mamori's server beside the reference automerge-repo
#                                 sync server, same generator, one run (about 10 minutes)
#   bash scripts/bench.sh signed-in  sync under load with signed-in clients (API tokens made through the real
#                                 API): one instance on SQLite (beside --open-sync), one on PostgreSQL, three on
#                                 PostgreSQL (a document's clients spread over them, then each facility on one);
#                                 CPU a delivery summed over the instances and PostgreSQL (~15 min)
#   bash scripts/bench.sh store   the store on SQLite and PostgreSQL: access-log appends on one chain, NOTIFY's
#                                 cost at commit, storage per facility (a throwaway PostgreSQL cluster)
#   bash scripts/bench.sh attacks crafted sync messages (inflation bombs, declared operations) beside honest
#                                 ones of the same size: server CPU and peak memory
set -euo pipefail
cd "$(dirname "$0")/.."
PART="${1:-all}"
bash scripts/setup.sh --bench
if [ "$PART" = all ] || [ "$PART" = app ]; then
  bash scripts/build-app.sh
  cargo run --profile server -q -p mamori-tests --bin bench
fi
if [ "$PART" = cold ]; then
  bash scripts/build-app.sh
  cargo run --profile server -q -p mamori-tests --bin bench -- cold
fi
if [ "$PART" = ledger ]; then
  bash scripts/build-app.sh
  cargo run --profile server -q -p mamori-tests --bin bench -- ledger
fi
if [ "$PART" = all ] || [ "$PART" = sync ]; then
  [ -f app/dist/index.html ] || bash scripts/build-app.sh
  cargo build --profile server -q -p mamori-server --bin mamori-server
  ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
  [ "$(ulimit -n)" -ge 4096 ] || echo "[bench] only $(ulimit -n) open files allowed: 1,000 connections need more" >&2
  cargo run --profile server -q -p mamori-tests --bin load -- compare
fi
if [ "$PART" = all ] || [ "$PART" = signed-in ]; then
  [ -f app/dist/index.html ] || bash scripts/build-app.sh
  cargo build --profile server -q -p mamori-server --bin mamori-server
  ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
  cargo run --profile server -q -p mamori-tests --bin load -- signed-in
fi
if [ "$PART" = all ] || [ "$PART" = store ]; then
  cargo run --profile server -q -p mamori-tests --bin store
fi
if [ "$PART" = all ] || [ "$PART" = attacks ]; then
  cargo build --profile server -q -p mamori-server --bin mamori-server
  cargo run --profile server -q -p mamori-tests --bin attacks
fi
