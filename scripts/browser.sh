#!/usr/bin/env bash
# Make Debian's Chromium available for the browser tests (Playwright drives /usr/bin/chromium; it
# never downloads a browser of its own). Installs it when we are root on a Debian-like system;
# otherwise says what to do. The tests themselves decide whether a missing browser is a skip (a
# developer's machine) or a failure (CI=true).
set -euo pipefail
BROWSER="${YIMEN_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$BROWSER" ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "安装 Chromium 供浏览器测试使用 (installing Debian chromium for the browser tests) …"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -qq --no-install-recommends chromium >/tmp/yimen-chromium-install.log 2>&1; then
    apt-get update -qq >>/tmp/yimen-chromium-install.log 2>&1 || true
    apt-get install -y -qq --no-install-recommends chromium >>/tmp/yimen-chromium-install.log 2>&1 \
      || { echo "Chromium 安装失败，见 /tmp/yimen-chromium-install.log (chromium install failed)" >&2; exit 0; }
  fi
  exit 0
fi
echo "未找到 Chromium（$BROWSER），浏览器测试将跳过；安装：sudo apt-get install chromium (no Chromium: browser tests will be skipped)"
