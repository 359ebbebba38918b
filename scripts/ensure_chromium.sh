#!/usr/bin/env bash
# Makes sure Debian's Chromium is at /usr/bin/chromium (the console's browser tests drive it with Playwright;
# no browser download): installs it with apt when missing, else does nothing.
set -euo pipefail
chromium=/usr/bin/chromium
[[ -x $chromium ]] && exit 0
echo "chromium missing: installing it with apt"
export DEBIAN_FRONTEND=noninteractive
sudo=""
if [[ $(id -u) -ne 0 ]] && command -v sudo >/dev/null; then sudo="sudo -n"; fi
$sudo apt-get update -qq >/dev/null
$sudo apt-get install -y -qq chromium >/dev/null
[[ -x $chromium ]] || { echo "chromium did not install at $chromium" >&2; exit 1; }
