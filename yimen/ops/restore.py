"""`yimen restore DIR`: put one backup folder back into an EMPTY installation, then verify it.

"Empty" means:
  - the database holds none of the backup's tables: a SQLite file that does not exist yet or has no
    table at all (the restore replaces the whole file), a PostgreSQL database just made with `createdb` — and NOT migrated: `yimen migrate`
    writes rows of its own (content types, permissions, the default time limits);
  - MEDIA_ROOT holds no file (it may be missing, or hold empty folders).
Anything else is refused, so a restore can never overwrite or mix with live data.

1. Read the manifest; check the engine matches; check the backup's own files against their
   checksums (a damaged backup is refused before anything is written).
2. Check the target is empty (both the database and MEDIA_ROOT).
3. Restore the database: SQLite through the online backup API into the configured file; PostgreSQL
   through `pg_restore --single-transaction --exit-on-error` (all or nothing).
4. Copy the files into MEDIA_ROOT.
5. Verify: every table's row count and every file's SHA-256 against the manifest (`backup_verify`).
"""

import sqlite3
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.db import DatabaseError, connections
from django.utils.translation import gettext as _

from . import pgclient
from .manifest import (
    FILES_DIR, OpsError, applied_migrations, copy_hashing, count_rows, engine_name, media_files, quote,
    read_manifest, sha256_of,
)

def _empty_howto() -> str:
    return _(
        "恢复只写入空的目标，以免覆盖或混入现有数据。请准备一个空数据库后再恢复："
        "PostgreSQL 用 createdb 新建一个数据库（不要先运行 yimen migrate），让 YIMEN_DATABASE_URL 指向它；"
        "SQLite 让 YIMEN_DATABASE_URL 指向一个还不存在的文件。"
    )


@dataclass(frozen=True)
class Check:
    what: str
    expected: str
    found: str

    @property
    def ok(self) -> bool:
        return self.expected == self.found


def backup_restore(*, backup: Path) -> dict:
    """Steps 1-4 of the module docstring; returns the manifest for `verify`."""
    backup = Path(backup)
    manifest = read_manifest(backup)
    engine = engine_name(settings.DATABASES["default"]["ENGINE"])
    if manifest["engine"] != engine:
        raise OpsError(
            _("这份备份来自 %(source)s 数据库，当前配置的目标是 %(target)s：恢复只能在同一种数据库之间进行。")
            % {"source": manifest["engine"], "target": engine}
        )
    _check_backup_intact(backup, manifest)
    media_root = Path(settings.MEDIA_ROOT)
    _require_empty_database(engine, manifest)
    _require_empty_media(media_root)
    connections.close_all()
    if engine == "sqlite":
        _sqlite_restore(backup / manifest["database"]["path"])
    else:
        _pg_restore(backup / manifest["database"]["path"], manifest)
    for entry in manifest["files"]:
        copy_hashing(backup / FILES_DIR / entry["path"], media_root / entry["path"])
    return manifest


def _check_backup_intact(backup: Path, manifest: dict) -> None:
    damaged = []
    entries = [(manifest["database"]["path"], manifest["database"]["sha256"])]
    entries += [(f"{FILES_DIR}/{e['path']}", e["sha256"]) for e in manifest["files"]]
    for relative, _digest in entries:
        # Paths are copied into MEDIA_ROOT: an edited manifest must not write anywhere else.
        parts = PurePosixPath(relative).parts
        if PurePosixPath(relative).is_absolute() or ".." in parts or "\\" in relative:
            raise OpsError(_("备份清单中有不允许的路径 %(path)s：这份清单被改动过，不能用来恢复。") % {"path": relative})
    for relative, expected in entries:
        path = backup / relative
        if not path.is_file() or sha256_of(path) != expected:
            damaged.append(relative)
    if damaged:
        shown = "、".join(damaged[:5]) + ("……" if len(damaged) > 5 else "")
        raise OpsError(
            _("备份已损坏：%(count)s 个文件缺失或与清单中的校验值不符（%(files)s）。什么都没有写入；请换一份备份。")
            % {"count": len(damaged), "files": shown}
        )


def _require_empty_database(engine: str, manifest: dict) -> None:
    present = {t: n for t, n in _target_counts(engine).items() if t in manifest["tables"]}
    if not present and engine == "sqlite":
        present = _sqlite_other_tables()
    if present:
        busiest = max(present, key=lambda t: present[t])
        raise OpsError(
            _("目标数据库不是空的：已有 %(count)s 张表（例如 %(table)s，%(rows)s 行）。") % {
                "count": len(present), "table": busiest, "rows": present[busiest]} + _empty_howto()
        )


def _sqlite_other_tables() -> dict[str, int]:
    # The backup API replaces the whole file: tables of anything else in it would be lost too.
    path = Path(settings.DATABASES["default"]["NAME"])
    if not path.is_file():
        return {}
    db = sqlite3.connect(path, timeout=30)
    try:
        names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        return {name: db.execute(f"SELECT COUNT(*) FROM {quote(name)}").fetchone()[0] for name in names}  # noqa: S608
    finally:
        db.close()


def _require_empty_media(media_root: Path) -> None:
    first = next(media_files(media_root), None)
    if first is not None:
        raise OpsError(
            _("附件目录 %(path)s 里已有文件（例如 %(file)s）。请让 YIMEN_MEDIA_ROOT 指向一个空的或还不存在的目录后再恢复。")
            % {"path": media_root, "file": first[1]}
        )


def _sqlite_restore(source_path: Path) -> None:
    target = Path(settings.DATABASES["default"]["NAME"])
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(source_path)
    copy = sqlite3.connect(target, timeout=30)
    try:
        source.backup(copy)  # one step, inside one write transaction on the target
    except sqlite3.Error as exc:
        raise OpsError(_("SQLite 恢复失败：%(error)s") % {"error": exc}) from exc
    finally:
        copy.close()
        source.close()


def _pg_restore(dump: Path, manifest: dict) -> None:
    pg_restore = pgclient.find_client("pg_restore")
    pgclient.require_restore_version(client=pgclient.client_major(pg_restore),
                                     dumped_by=manifest["database"]["pg_dump_major"])
    # --no-owner/--no-acl: the target's roles need not be the source's; the connecting user owns all.
    pgclient.run_client(
        [pg_restore, "--no-owner", "--no-acl", "--exit-on-error", "--single-transaction", "--no-password",
         f"--dbname={pgclient.conninfo()}", str(dump)],
        what="pg_restore",
    )


def _target_counts(engine: str) -> dict[str, int]:
    """Row counts of the model tables that exist in the configured database."""
    try:
        return _counts(engine)
    except (DatabaseError, sqlite3.Error) as exc:
        raise OpsError(
            _("无法读取目标数据库 %(name)s：%(error)s（PostgreSQL 的目标数据库要先用 createdb 新建。）")
            % {"name": settings.DATABASES["default"]["NAME"], "error": str(exc).strip().splitlines()[-1]}
        ) from exc


def _counts(engine: str) -> dict[str, int]:
    if engine == "sqlite":
        path = Path(settings.DATABASES["default"]["NAME"])
        if not path.is_file():
            return {}
        db = sqlite3.connect(path, timeout=30)
        try:
            cursor = db.cursor()
            existing = {row[0] for row in cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            return count_rows(cursor, existing)
        finally:
            db.close()
    connection = connections["default"]
    with connection.cursor() as cursor:
        existing = set(connection.introspection.table_names(cursor))
        return count_rows(cursor, existing)


def _target_migrations() -> dict[str, list[str]]:
    connection = connections["default"]
    with connection.cursor() as cursor:
        if "django_migrations" not in connection.introspection.table_names(cursor):
            return {}
        return applied_migrations(cursor)


def backup_verify(manifest: dict) -> list[Check]:
    """Compare the configured installation with a manifest: one Check per table, one for the
    migration history, one per file that differs (or one line "all files equal")."""
    missing = _("缺失")
    counts = _target_counts(engine_name(settings.DATABASES["default"]["ENGINE"]))
    checks = [
        Check(_("表 %(table)s") % {"table": table}, str(rows), str(counts.get(table, missing)))
        for table, rows in sorted(manifest["tables"].items())
    ]
    expected_migrations = sum(len(v) for v in manifest["migrations"].values())
    found = _target_migrations()
    same = found == manifest["migrations"]
    checks.append(Check(_("已应用的迁移"), str(expected_migrations),
                        str(expected_migrations) if same else _("%(count)s（不同）") % {"count": sum(map(len, found.values()))}))
    checks.extend(_verify_files(manifest))
    return checks


def _verify_files(manifest: dict) -> list[Check]:
    media_root = Path(settings.MEDIA_ROOT)
    present = {relative: path for path, relative in media_files(media_root)}
    problems = []
    for entry in manifest["files"]:
        path = present.pop(entry["path"], None)
        if path is None:
            problems.append(Check(_("文件 %(path)s") % {"path": entry["path"]}, entry["sha256"][:12], _("缺失")))
        elif (digest := sha256_of(path)) != entry["sha256"]:
            problems.append(Check(_("文件 %(path)s") % {"path": entry["path"]}, entry["sha256"][:12], digest[:12]))
    for relative in sorted(present):
        problems.append(Check(_("文件 %(path)s") % {"path": relative}, _("（备份中没有）"), _("多出")))
    total = len(manifest["files"])
    summary = Check(_("附件（共 %(count)s 个）的 SHA-256") % {"count": total}, _("一致"),
                    _("一致") if not problems else _("%(count)s 处不同") % {"count": len(problems)})
    return [summary, *problems]


def format_report(checks: list[Check]) -> str:
    headers = (_("项目"), _("备份清单"), _("目标"), _("结果"))
    rows = [(c.what, c.expected, c.found, _("一致") if c.ok else _("不同")) for c in checks]
    widths = [max(_width(r[i]) for r in [headers, *rows]) for i in range(4)]
    lines = ["  ".join(_pad(cell, widths[i]) for i, cell in enumerate(row)).rstrip() for row in [headers, *rows]]
    return "\n".join(lines)


def _width(text: str) -> int:
    # A CJK character takes two columns in a terminal.
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
