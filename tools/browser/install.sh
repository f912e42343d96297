#!/usr/bin/env bash
# Installs Debian's Chromium (and the DejaVu fonts the briefings use) for the headless
# screenshot tests of graph/render.py. Idempotent: exits at once when Chromium is there.
# Usage: bash tools/browser/install.sh
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
    echo "chromium already installed: $CHROMIUM"
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
else
    echo "install.sh: not root and sudo is missing; run as root to install chromium" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update
"${SUDO[@]}" apt-get install -y --no-install-recommends chromium fonts-dejavu-core

if [ ! -x "$CHROMIUM" ]; then
    echo "install.sh: apt-get finished but $CHROMIUM is missing" >&2
    exit 1
fi
"$CHROMIUM" --version || true
