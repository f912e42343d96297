"""Headless Chromium (Debian's package, installed by tools/browser/install.sh) for the tests
that look at pages and pictures as a person would."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
# No sandbox as root; no background traffic, which this machine's closed network refuses.
HEADLESS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def require_chromium() -> None:
    """Skip without Chromium on a developer's machine; in CI its absence is a failure."""
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("CI needs Chromium: run tools/browser/install.sh")
        pytest.skip("no /usr/bin/chromium (tools/browser/install.sh installs it)")


def chromium(url: str, profile: Path, window: tuple[int, int], *mode: str) -> str:
    """Run Chromium once on a URL with a fresh profile; return what it printed."""
    result = subprocess.run(
        [
            str(CHROMIUM),
            *HEADLESS,
            f"--user-data-dir={profile}",
            f"--window-size={window[0]},{window[1]}",
            *mode,
            url,
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return result.stdout


def chromium_with_console(
    url: str, profile: Path, window: tuple[int, int], *mode: str
) -> tuple[str, list[str]]:
    """As chromium(), also returning every message the page wrote to its console (Chromium
    logs them, whatever their level, as `CONSOLE` lines on stderr)."""
    result = subprocess.run(
        [
            str(CHROMIUM),
            *HEADLESS,
            "--enable-logging=stderr",
            "--v=0",
            f"--user-data-dir={profile}",
            f"--window-size={window[0]},{window[1]}",
            *mode,
            url,
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    console = [line for line in result.stderr.splitlines() if ":CONSOLE" in line]
    return result.stdout, console
