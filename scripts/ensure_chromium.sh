#!/usr/bin/env bash
# Make sure Debian's headless-capable Chromium is installed at /usr/bin/chromium, for the browser
# tests (tests/python/test_report.py, tests/python/test_docs_site.py). Idempotent: does nothing
# when /usr/bin/chromium exists; otherwise runs `apt-get update` once and `apt-get install -y
# chromium` (needs root, as on the project's machines and CI). Override the path with CHROMIUM.
set -euo pipefail

CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"

if [[ -x "$CHROMIUM" ]]; then
    echo "ensure_chromium: $CHROMIUM present, nothing to do"
    exit 0
fi

if [[ "$(id -u)" != "0" ]]; then
    echo "ensure_chromium: $CHROMIUM is missing and this is not root; install it with: sudo apt-get install -y chromium" >&2
    exit 1
fi

echo "ensure_chromium: $CHROMIUM is missing; running apt-get update"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
echo "ensure_chromium: running apt-get install -y chromium"
apt-get install -y -q chromium
if [[ ! -x "$CHROMIUM" ]]; then
    echo "ensure_chromium: apt-get finished but $CHROMIUM is still missing" >&2
    exit 1
fi
echo "ensure_chromium: installed $("$CHROMIUM" --version 2>/dev/null || echo chromium)"
