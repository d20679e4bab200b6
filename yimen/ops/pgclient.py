"""The PostgreSQL client programs (pg_dump, pg_restore) and the connection they use.

The connection comes from settings.DATABASES["default"]; the password goes in the child's
environment (PGPASSWORD), never on its command line, where any local user could read it in `ps`.
"""

import os
import re
import shutil
import subprocess

from django.conf import settings
from django.utils.translation import gettext as _

from .manifest import OpsError

# OPTIONS keys that are libpq connection parameters (the rest, such as "pool" or
# "isolation_level", are Django's own and mean nothing to pg_dump).
_LIBPQ_OPTIONS = {
    "sslmode", "sslrootcert", "sslcert", "sslkey", "sslcrl", "sslpassword", "options", "application_name",
    "connect_timeout", "target_session_attrs", "service", "passfile", "gssencmode", "channel_binding",
}


def connection_params() -> dict[str, str]:
    db = settings.DATABASES["default"]
    params = {"dbname": db.get("NAME") or "", "user": db.get("USER") or "", "host": db.get("HOST") or "",
              "port": str(db.get("PORT") or "")}
    params.update({k: str(v) for k, v in (db.get("OPTIONS") or {}).items() if k in _LIBPQ_OPTIONS})
    return {k: v for k, v in params.items() if v}


def conninfo() -> str:
    """The connection string without the password."""
    from psycopg.conninfo import make_conninfo

    return make_conninfo(**connection_params())


def client_env() -> dict[str, str]:
    env = dict(os.environ)
    password = settings.DATABASES["default"].get("PASSWORD")
    if password:
        env["PGPASSWORD"] = str(password)
    return env


def find_client(program: str) -> str:
    path = shutil.which(program)
    if path is None:
        raise OpsError(
            _("找不到 %(program)s：请安装 PostgreSQL 客户端（Debian/Ubuntu：apt-get install postgresql-client，"
              "主版本不低于数据库服务器），或把它所在的目录加入 PATH。") % {"program": program}
        )
    return path


def client_major(path: str) -> int:
    """The major version of a client program, from `pg_dump --version` ("pg_dump (PostgreSQL) 15.20 …")."""
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise OpsError(_("无法运行 %(program)s --version：%(error)s") % {"program": path, "error": exc}) from exc
    match = re.search(r"\)\s*(\d+)", out) or re.search(r"(\d+)\.\d+", out)
    if not match:
        raise OpsError(_("无法识别 %(program)s 的版本：%(output)s") % {"program": path, "output": out.strip()})
    return int(match.group(1))


def server_major(server_version: int) -> int:
    """libpq's server_version number (150020 for 15.20) → the major version. (Before 10 the major
    was two numbers, 9.6; Django 5.2 needs PostgreSQL 14, so 9.x only needs to compare as older.)"""
    return server_version // 10000


def require_dump_version(*, client: int, server: int) -> None:
    # pg_dump refuses a server newer than itself ("aborting because of server version mismatch").
    if client < server:
        raise OpsError(
            _("pg_dump 的主版本 %(client)s 低于数据库服务器的 %(server)s，无法备份。"
              "请安装 postgresql-client-%(server)s（或更新的版本）并让它在 PATH 中排在前面。")
            % {"client": client, "server": server}
        )


def require_restore_version(*, client: int, dumped_by: int) -> None:
    # An archive written by a newer pg_dump is unreadable by an older pg_restore ("unsupported version").
    if client < dumped_by:
        raise OpsError(
            _("这份备份由 pg_dump %(dumped)s 写成，本机的 pg_restore 是 %(client)s，读不了。"
              "请安装 postgresql-client-%(dumped)s（或更新的版本）后再恢复。")
            % {"dumped": dumped_by, "client": client}
        )


def run_client(args: list[str], *, what: str) -> None:
    result = subprocess.run(args, env=client_env(), capture_output=True, text=True)  # noqa: S603 - fixed program
    if result.returncode != 0:
        detail = "\n".join(result.stderr.strip().splitlines()[-8:])
        if "version mismatch" in result.stderr:
            detail += "\n" + _("（客户端与服务器的版本不一致：请安装与服务器主版本相同或更新的 PostgreSQL 客户端。）")
        raise OpsError(_("%(what)s 失败（退出码 %(code)s）：\n%(detail)s") % {
            "what": what, "code": result.returncode, "detail": detail})
