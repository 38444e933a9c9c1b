#!/usr/bin/env bash
# Trunk's post-build hook (app/Trunk.toml): splits the app's wasm so that screens off the first screen's path
# load on first use (#23). The app marks them with `wasm_split` (app/src/lib.rs, `mod later`); this runs
# wasm-split on the module cargo linked (with `--emit-relocs`, .cargo/config.toml), then wasm-bindgen on the
# main part and wasm-opt -Oz on every part, and replaces trunk's unsplit output in the staging folder.
#
# Names carry a hash of their content (the server caches such names for a year), and the chunks sit beside
# the main module, so the service worker precaches them like every other file of the build. Trunk's own
# wasm-bindgen output of the unsplit module is thrown away (it imports a placeholder module and cannot run).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
export PATH="$root/.tools/node_modules/.bin:$HOME/.cargo/bin:$PATH"
: "${TRUNK_STAGING_DIR:?run by trunk (app/Trunk.toml) as a post-build hook}"
profile_dir=release
[ "${TRUNK_PROFILE:-release}" = release ] || profile_dir=debug
input="${CARGO_TARGET_DIR:-$root/target}/wasm32-unknown-unknown/$profile_dir/mamori-app.wasm"
say() { echo "[split-app] $*"; }
fail() { echo "[split-app] $*" >&2; exit 1; }

[ -f "$input" ] || fail "no linked module at $input"
command -v wasm-split-cli >/dev/null || fail "wasm-split-cli not found: run scripts/setup.sh"
# Trunk's name for the app (mamori-app-<hash>): the bootstrap in index.html loads <name>.js and <name>_bg.wasm.
shopt -s nullglob
found=("$TRUNK_STAGING_DIR"/mamori-app-*_bg.wasm)
[ ${#found[@]} = 1 ] || fail "expected one mamori-app-*_bg.wasm in $TRUNK_STAGING_DIR, found ${#found[@]}"
name="$(basename "${found[0]}" _bg.wasm)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# 1. Split. The main part imports its chunks' loaders from ./__wasm_split.js (written beside it).
wasm-split-cli "$input" "$work/split" --target web --out-name "$name" >/dev/null
[ -f "$work/split/$name.wasm" ] || fail "wasm-split wrote no main module"
chunks=("$work/split"/*.wasm)
[ ${#chunks[@]} -ge 2 ] || fail "wasm-split found no split point: was the app linked with --emit-relocs?"
# The parts as split, function names still in them: `bash scripts/bench.sh` says where each part's bytes go.
kept="$(dirname "$input")/split"
rm -rf "$kept" && mkdir -p "$kept"
cp "$work/split/$name.wasm" "$kept/first.wasm"
for f in "${chunks[@]}"; do [ "$(basename "$f")" = "$name.wasm" ] || cp "$f" "$kept/"; done
# 2. The JavaScript glue of the main part (lld's exports kept: the chunks link against them).
wasm-bindgen --target web --no-typescript --keep-lld-exports --no-demangle \
  --out-name "$name" --out-dir "$work/bindgen" "$work/split/$name.wasm"
mv "$work/bindgen/${name}_bg.wasm" "$work/split/$name.wasm"
# 3. Every part optimised for size, side by side.
pids=()
for f in "$work/split"/*.wasm; do
  wasm-opt -Oz "$f" -o "$f" & pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail "wasm-opt failed"; done
# 4. Content-hashed names: the loader and every chunk, with the references to them rewritten.
hash16() { sha256sum "$1" | cut -c1-16; }
loader="$work/split/__wasm_split.js"
[ -f "$loader" ] || fail "wasm-split wrote no loader"
for f in "$work/split"/*.wasm; do
  base="$(basename "$f" .wasm)"
  [ "$base" = "$name" ] && continue
  hashed="${base//_/-}-$(hash16 "$f")"
  grep -q "\"./$base.wasm\"" "$loader" || fail "the loader does not name $base.wasm"
  sed -i "s#\"./$base.wasm\"#\"./$hashed.wasm\"#g" "$loader"
  mv "$f" "$TRUNK_STAGING_DIR/$hashed.wasm"
done
loader_name="mamori-split-$(hash16 "$loader").js"
mv "$loader" "$TRUNK_STAGING_DIR/$loader_name"
# Only the import's specifier: the wasm's own import names the module "./__wasm_split.js" (the imports
# object keeps that key).
grep -q 'from "./__wasm_split.js"' "$work/bindgen/$name.js" || fail "the glue does not import the loader"
sed -i "s#from \"./__wasm_split.js\"#from \"./$loader_name\"#g" "$work/bindgen/$name.js"
mv "$work/split/$name.wasm" "$TRUNK_STAGING_DIR/${name}_bg.wasm"
mv "$work/bindgen/$name.js" "$TRUNK_STAGING_DIR/$name.js"
say "split $name: $(stat -c %s "$TRUNK_STAGING_DIR/${name}_bg.wasm") bytes first, $((${#chunks[@]} - 1)) chunk(s) on first use"
