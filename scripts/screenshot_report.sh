#!/usr/bin/env bash
# Render a checker report with headless Chromium and save a screenshot.
#   scripts/screenshot_report.sh checker-out/report.html report.png [WIDTHxHEIGHT]
set -euo pipefail
report="$(realpath "$1")"; out="$(realpath -m "${2:-report.png}")"; size="${3:-1200,4000}"
browser="$(command -v chromium || command -v chromium-browser || true)"
if [[ -z "$browser" ]]; then
    echo "screenshot_report: headless Chromium not found (Debian: apt-get install chromium)" >&2
    exit 2
fi
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
"$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --hide-scrollbars --window-size="${size/x/,}" \
    --screenshot="$out" "file://$report" >/dev/null 2>&1
echo "$out"
