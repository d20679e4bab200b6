"""Which Chromium the browser tests and `make screenshots` drive, and how: one place for both.

Debian's `chromium` (scripts/browser.sh installs it); `YIMEN_CHROMIUM` points elsewhere. Playwright
never downloads a browser here.
"""

import os
import shutil

CHROMIUM = os.environ.get("YIMEN_CHROMIUM", "/usr/bin/chromium")
INSTALL_HINT = "sudo apt-get install chromium"
# The machines this runs on may have no route out: without these flags Chromium reaches for Google's
# update, sync and QUIC endpoints at start and can hang waiting on them.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    """The executable to launch, or None when it is not installed."""
    path = CHROMIUM if os.sep in CHROMIUM else shutil.which(CHROMIUM)
    return path if path and os.access(path, os.X_OK) else None
