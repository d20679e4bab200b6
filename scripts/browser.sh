#!/usr/bin/env bash
# Make Debian's Chromium (and a Chinese font, for readable screenshots) available for the browser
# tests. Playwright drives /usr/bin/chromium; it never downloads a browser of its own. Installs them
# when we are root on a Debian-like system; otherwise says what to do. The tests themselves decide
# whether a missing browser is a skip (a developer's machine) or a failure (CI=true).
# The backup tests need PostgreSQL's client tools (pg_dump, pg_restore), and the replica test its server
# programs (initdb, pg_ctl, pg_basebackup) to make a primary and a replica of its own: installed the same
# way, without the package's default cluster (nothing is started, nothing listens on 5432).
set -euo pipefail
BROWSER="${YIMEN_CHROMIUM:-/usr/bin/chromium}"
missing=()
command -v pg_dump >/dev/null 2>&1 && command -v pg_restore >/dev/null 2>&1 || missing+=(postgresql-client)
have_server() { command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; }
have_server && command -v pg_basebackup >/dev/null 2>&1 || missing+=(postgresql)
command -v "$BROWSER" >/dev/null 2>&1 || [ -x "$BROWSER" ] || missing+=(chromium)
if ! command -v fc-list >/dev/null 2>&1 || [ -z "$(fc-list :lang=zh 2>/dev/null | head -1)" ]; then
  missing+=(fonts-noto-cjk)
fi
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "安装 ${missing[*]} 供浏览器测试使用 (installing ${missing[*]} for the browser tests) …"
  export DEBIAN_FRONTEND=noninteractive
  # Debian's postgresql-common makes and starts a "main" cluster on install unless told not to.
  mkdir -p /etc/postgresql-common
  grep -qs '^create_main_cluster' /etc/postgresql-common/createcluster.conf \
    || echo 'create_main_cluster = false' >> /etc/postgresql-common/createcluster.conf
  log=/tmp/yimen-browser-install.log
  if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$log" 2>&1; then
    apt-get update -qq >>"$log" 2>&1 || true
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"$log" 2>&1 \
      || { echo "安装失败，见 $log (install failed)" >&2; exit 0; }
  fi
  exit 0
fi
echo "缺少 ${missing[*]}，浏览器测试可能跳过；安装：sudo apt-get install ${missing[*]} (browser tests may be skipped)"
