#!/usr/bin/env bash
# Chromium and chromedriver from Debian for the web app's browser tests, and a CJK font (else the
# screenshots show Chinese as empty boxes): installed if missing.
set -euo pipefail
command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1 && fc-list :lang=zh | grep -q . && exit 0
echo "browser.sh: installing chromium, chromium-driver and a CJK font from Debian" >&2
sudo_=""; [ "$(id -u)" = 0 ] || sudo_="sudo"
$sudo_ env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
$sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-wqy-microhei >/dev/null
