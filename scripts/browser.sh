#!/usr/bin/env bash
# Chromium and chromedriver from Debian for the web app's browser tests: installed if missing.
set -euo pipefail
command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1 && exit 0
echo "browser.sh: installing chromium and chromium-driver from Debian" >&2
sudo_=""; [ "$(id -u)" = 0 ] || sudo_="sudo"
$sudo_ env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
$sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
