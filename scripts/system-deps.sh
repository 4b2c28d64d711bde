#!/usr/bin/env bash
# System packages the tests need, installed idempotently: Debian's chromium drives the web UI
# browser tests (Playwright uses it via executable_path; it never downloads a browser).
set -euo pipefail
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq chromium >/dev/null
fi
