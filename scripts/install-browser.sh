#!/usr/bin/env bash
# Installs Debian's headless-capable Chromium for the browser test (tests/ui/test_browser.py).
# Idempotent: does nothing when /usr/bin/chromium is already there. Needs root (or sudo) on
# Debian/Ubuntu; Playwright drives this system browser, so `playwright install` is never needed.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
    echo "chromium already installed: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "apt-get not found: install Chromium (/usr/bin/chromium) with the system's package manager." >&2
    exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "root rights are needed to install chromium (run as root or install sudo)." >&2
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends chromium fonts-liberation
/usr/bin/chromium --version
