#!/usr/bin/env bash
# Renders the app icons (PNG) from public/icons/*.svg with headless Chromium. Run by hand after changing an
# SVG; the PNGs are committed. Needs `bash scripts/setup.sh --browser` (Chromium and the Japanese font).
set -euo pipefail
cd "$(dirname "$0")/../public/icons"
render() { # svg size out
  local tmp; tmp=$(mktemp -d)
  printf '<html><body style="margin:0"><img src="file://%s" width="%s" height="%s"></body></html>' "$PWD/$1" "$2" "$2" > "$tmp/i.html"
  chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --user-data-dir="$tmp/p" --hide-scrollbars \
    --default-background-color=00000000 --window-size="$2,$2" --screenshot="$PWD/$3" "file://$tmp/i.html" 2>/dev/null
  rm -rf "$tmp"
}
render icon.svg 192 icon-192.png
render icon.svg 512 icon-512.png
render maskable.svg 512 maskable-512.png
render icon.svg 180 apple-touch-icon.png
ls -la *.png
