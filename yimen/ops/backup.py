"""`yimen backup DIR`: one consistent copy of the database and the attachments, with a manifest.

1. Work in DIR/yimen-YYYYMMDD-HHMMSS.partial: a run cut short never leaves a folder that looks done.
2. Copy the database as one snapshot, and count every model table's rows *in that snapshot*:
   - SQLite through the online backup API. In WAL mode the recent writes live in the -wal file, so a
     plain copy of yimen.sqlite3 can miss all of them; the API copies what a reader sees, while the
     web server and the worker go on writing.
   - PostgreSQL: a REPEATABLE READ transaction exports its snapshot, the rows are counted in it, and
     `pg_dump --snapshot` dumps exactly that state.
3. Copy MEDIA_ROOT file by file, hashing the bytes as they are written. Files come after the
   database: a matter's file is stored before its row commits, so every file the snapshot refers to
   is already there (a file added later is merely extra).
4. Write manifest.json, then rename the folder to its final name.
"""

import shutil
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from . import pgclient
from .manifest import (
    FILES_DIR, FORMAT, MIGRATIONS_TABLE, PG_FILE, SQLITE_FILE, OpsError, applied_migrations, copy_hashing,
    count_rows, engine_name, media_files, sha256_of, write_manifest, yimen_version,
)

NAME_FORMAT = "yimen-%Y%m%d-%H%M%S"
PARTIAL_SUFFIX = ".partial"


@dataclass(frozen=True)
class Retention:
    """Keep the newest backup of each of the last `daily` days, `weekly` ISO weeks and `monthly`
    months that have one (the newest backup is always kept)."""

    daily: int = 0
    weekly: int = 0
    monthly: int = 0


def backup_create(*, into: Path) -> Path:
    """Write one complete backup folder under `into` and return its path (see the module docstring)."""
    into = Path(into).resolve()
    media_root = Path(settings.MEDIA_ROOT).resolve()
    if into == media_root or media_root in into.parents:
        raise OpsError(_("备份目录 %(dir)s 在附件目录 %(media)s 之内：请把备份写到别处（最好是另一块磁盘）。")
                       % {"dir": into, "media": media_root})
    try:
        into.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OpsError(_("无法创建备份目录 %(dir)s：%(error)s") % {"dir": into, "error": exc.strerror or exc}) from exc
    started = timezone.now()
    final = into / timezone.localtime(started).strftime(NAME_FORMAT)
    partial = final.with_name(final.name + PARTIAL_SUFFIX)
    if final.exists() or partial.exists():
        raise OpsError(_("%(path)s 已经存在：同一秒内只能做一次备份，请稍后再试。") % {"path": final})
    partial.mkdir()
    try:
        manifest = {"format": FORMAT, "yimen_version": yimen_version(), "created_at": started.isoformat()}
        manifest.update(_dump_database(partial))
        manifest["files"] = _copy_media(media_root, partial / FILES_DIR)
        manifest["finished_at"] = timezone.now().isoformat()
        write_manifest(partial, manifest)
        partial.rename(final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return final


def _dump_database(folder: Path) -> dict:
    engine = engine_name(settings.DATABASES["default"]["ENGINE"])
    if engine == "sqlite":
        return _sqlite_dump(folder / SQLITE_FILE)
    return _pg_dump(folder / PG_FILE)


def _sqlite_dump(target: Path) -> dict:
    source_path = Path(settings.DATABASES["default"]["NAME"])
    if not source_path.is_file():
        raise OpsError(_("数据库文件 %(path)s 不存在：没有可备份的数据（检查 YIMEN_DATABASE_URL 或 YIMEN_VAR_DIR）。")
                       % {"path": source_path})
    source = sqlite3.connect(source_path, timeout=30)
    copy = sqlite3.connect(target)
    try:
        # One step (pages=-1): the whole copy is read in one read transaction, so it is one snapshot
        # even while others write (a stepwise copy would restart on every write by another connection).
        source.backup(copy)
        # A single self-contained file; the server sets WAL again when it opens a restored copy.
        copy.execute("PRAGMA journal_mode=DELETE")
        check = copy.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise OpsError(_("数据库副本未通过 SQLite 完整性检查：%(result)s") % {"result": check})
        cursor = copy.cursor()
        existing = {row[0] for row in cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if MIGRATIONS_TABLE not in existing:
            raise OpsError(_("数据库 %(path)s 还没有建表（先运行 yimen migrate）。") % {"path": source_path})
        tables = count_rows(cursor, existing)
        migrations = applied_migrations(cursor)
        sqlite_version = sqlite3.sqlite_version
    except sqlite3.Error as exc:
        raise OpsError(_("SQLite 备份失败：%(error)s") % {"error": exc}) from exc
    finally:
        copy.close()
        source.close()
    return {
        "engine": "sqlite",
        "database": {"path": SQLITE_FILE, "size": target.stat().st_size, "sha256": sha256_of(target),
                     "sqlite_version": sqlite_version},
        "tables": tables,
        "migrations": migrations,
    }


def _pg_dump(target: Path) -> dict:
    import psycopg

    pg_dump = pgclient.find_client("pg_dump")
    client = pgclient.client_major(pg_dump)
    password = settings.DATABASES["default"].get("PASSWORD") or None
    try:
        with psycopg.connect(pgclient.conninfo(), password=password, autocommit=True) as conn:
            server = pgclient.server_major(conn.info.server_version)
            pgclient.require_dump_version(client=client, server=server)
            # The snapshot stays valid while this transaction is open: counts and dump see one state.
            conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
            cursor = conn.cursor()
            cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            existing = {row[0] for row in cursor.fetchall()}
            if MIGRATIONS_TABLE not in existing:
                raise OpsError(_("数据库 %(name)s 还没有建表（先运行 yimen migrate）。")
                               % {"name": settings.DATABASES["default"]["NAME"]})
            tables = count_rows(cursor, existing)
            migrations = applied_migrations(cursor)
            pgclient.run_client(
                [pg_dump, "--format=custom", f"--file={target}", f"--snapshot={snapshot}", "--no-password",
                 f"--dbname={pgclient.conninfo()}"],
                what="pg_dump",
            )
            conn.execute("ROLLBACK")
    except psycopg.Error as exc:
        raise OpsError(_("连接 PostgreSQL 失败：%(error)s") % {"error": str(exc).strip()}) from exc
    return {
        "engine": "postgresql",
        "database": {"path": PG_FILE, "size": target.stat().st_size, "sha256": sha256_of(target),
                     "server_major": server, "pg_dump_major": client},
        "tables": tables,
        "migrations": migrations,
    }


def _copy_media(root: Path, target: Path) -> list[dict]:
    target.mkdir()
    files = []
    for path, relative in media_files(root):
        try:
            digest, size = copy_hashing(path, target / relative)
        except FileNotFoundError:
            # Deleted between listing and copying (the worker prunes abandoned drafts): not in the backup.
            (target / relative).unlink(missing_ok=True)
            continue
        except OSError as exc:
            raise OpsError(_("复制附件 %(path)s 失败：%(error)s") % {"path": path, "error": exc.strerror or exc}) from exc
        files.append({"path": relative, "size": size, "sha256": digest})
    return files


def backup_stamps(folder: Path) -> dict[datetime, Path]:
    """The complete backups (named folders with a manifest) directly under `folder`, by time."""
    found = {}
    for child in Path(folder).iterdir():
        try:
            stamp = datetime.strptime(child.name, NAME_FORMAT)
        except ValueError:
            continue
        if child.is_dir() and (child / "manifest.json").is_file():
            found[stamp] = child
    return found


def backups_to_keep(stamps, retention: Retention) -> set[datetime]:
    ordered = sorted(stamps, reverse=True)
    keep = set(ordered[:1])
    periods = (
        (retention.daily, lambda s: s.date()),
        (retention.weekly, lambda s: s.isocalendar()[:2]),
        (retention.monthly, lambda s: (s.year, s.month)),
    )
    for count, period in periods:
        seen = set()
        for stamp in ordered:
            if len(seen) >= count:
                break
            if period(stamp) not in seen:
                seen.add(period(stamp))
                keep.add(stamp)
    return keep


def backups_prune(*, folder: Path, retention: Retention) -> list[Path]:
    """Delete the complete backups under `folder` that `retention` does not keep; return them.
    Unfinished (.partial) and foreign folders are never touched."""
    found = backup_stamps(folder)
    keep = backups_to_keep(found, retention)
    removed = []
    for stamp in sorted(set(found) - keep):
        shutil.rmtree(found[stamp])
        removed.append(found[stamp])
    return removed
