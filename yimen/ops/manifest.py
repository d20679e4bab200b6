"""What a backup folder holds and how it is described: the manifest, checksums, row counts.

A backup folder (see docs/operations.md):

    yimen-20261203-020000/
      manifest.json        written last: a folder without it is not a backup
      database.sqlite3     SQLite: a copy made through the online backup API
      database.pgdump      PostgreSQL: pg_dump --format=custom
      files/…              MEDIA_ROOT, file by file (attachments, residents' drafts)
"""

import hashlib
import json
import os
import shutil
from importlib import metadata
from pathlib import Path

from django.apps import apps
from django.utils.translation import gettext as _

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
FILES_DIR = "files"
MIGRATIONS_TABLE = "django_migrations"
_CHUNK = 1024 * 1024


class OpsError(Exception):
    """A backup or restore cannot go on; the message (zh-hans) says why and what to do."""


def yimen_version() -> str:
    try:
        return metadata.version("yimen")
    except metadata.PackageNotFoundError:  # running from a checkout that was never installed
        return "unknown"


def engine_name(engine: str) -> str:
    if engine == "django.db.backends.sqlite3":
        return "sqlite"
    if engine == "django.db.backends.postgresql":
        return "postgresql"
    raise OpsError(_("不支持的数据库引擎 %(engine)s：只能备份 SQLite 或 PostgreSQL。") % {"engine": engine})


def model_tables() -> list[str]:
    """Every table a model of an installed app lives in (many-to-many tables too), plus the
    migration history: the tables whose row counts a manifest records."""
    tables = {MIGRATIONS_TABLE}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.managed and not model._meta.proxy:
            tables.add(model._meta.db_table)
    return sorted(tables)


def quote(name: str) -> str:
    # Table names come from the models, not from input; quoted anyway (both engines use "…").
    return '"' + name.replace('"', '""') + '"'


def count_rows(cursor, existing: set[str]) -> dict[str, int]:
    """Row counts of the model tables that exist, read through one DB-API cursor (one snapshot)."""
    counts = {}
    for table in model_tables():
        if table in existing:
            cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # noqa: S608 - quoted model table
            counts[table] = cursor.fetchone()[0]
    return counts


def applied_migrations(cursor) -> dict[str, list[str]]:
    cursor.execute(f"SELECT app, name FROM {MIGRATIONS_TABLE} ORDER BY app, name")
    state: dict[str, list[str]] = {}
    for app, name in cursor.fetchall():
        state.setdefault(app, []).append(name)
    return state


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def copy_hashing(source: Path, target: Path) -> tuple[str, int]:
    """Copy one file and return the SHA-256 and size of the bytes written (not re-read later)."""
    digest = hashlib.sha256()
    size = 0
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(source, "rb") as src, open(target, "wb") as dst:
        while chunk := src.read(_CHUNK):
            digest.update(chunk)
            dst.write(chunk)
            size += len(chunk)
        dst.flush()
        os.fsync(dst.fileno())
    shutil.copystat(source, target)
    return digest.hexdigest(), size


def media_files(root: Path):
    """Regular files under MEDIA_ROOT as (path, relative posix path), sorted; symbolic links are
    not followed (a link could point anywhere on the machine)."""
    if not root.is_dir():
        return
    for directory, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for filename in sorted(filenames):
            path = Path(directory) / filename
            if path.is_symlink() or not path.is_file():
                continue
            yield path, path.relative_to(root).as_posix()


def write_manifest(folder: Path, manifest: dict) -> None:
    path = folder / MANIFEST
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(manifest, handle, ensure_ascii=False, indent=2, sort_keys=True)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())


def read_manifest(folder: Path) -> dict:
    path = folder / MANIFEST
    if not folder.is_dir():
        raise OpsError(_("备份文件夹 %(path)s 不存在。") % {"path": folder})
    if not path.is_file():
        raise OpsError(
            _("%(path)s 不是完整的备份：没有 manifest.json（以 .partial 结尾的文件夹是没有完成的备份）。请选一个完整的备份文件夹。")
            % {"path": folder}
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise OpsError(_("备份清单 %(path)s 无法读取：%(error)s") % {"path": path, "error": exc}) from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise OpsError(
            _("备份清单的格式版本 %(found)s 不是本程序能读的 %(expected)s：请用做备份的那个版本的一门来恢复。")
            % {"found": manifest.get("format") if isinstance(manifest, dict) else None, "expected": FORMAT}
        )
    database = manifest.get("database")
    if (not isinstance(database, dict) or not {"path", "sha256"} <= set(database)
            or not all(isinstance(manifest.get(k), t) for k, t in _SHAPE.items())
            or not all(isinstance(e, dict) and {"path", "sha256"} <= set(e) for e in manifest["files"])):
        raise OpsError(_("备份清单 %(path)s 不完整或被改动过：缺少必要的项目，不能用来恢复或核对。") % {"path": path})
    return manifest


_SHAPE = {"engine": str, "created_at": str, "tables": dict, "migrations": dict, "files": list}
