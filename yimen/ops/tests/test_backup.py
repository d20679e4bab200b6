"""`yimen backup` and `yimen restore`, run as an operator runs them: in subprocesses, against real
database files (SQLite under tmp_path; PostgreSQL scratch databases when the suite runs on it).

The installation backed up is built once per module: migrated, then filled with the test world's
people and three matters with attachments (one of them dispatched).
"""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings

from yimen.ops.manifest import MANIFEST, sha256_of

CLI = [sys.executable, "-m", "yimen"]

_FILL = """
from yimen.cases.intake import AttachmentInput
from yimen.testing import make_world

w = make_world()
for i, content in enumerate([b"%PDF-1.4 contract", bytes(range(256)) * 40, "调解协议".encode() * 3]):
    w.register(attachments=[AttachmentInput(name=f"材料{i}.pdf", content=content, content_type="application/pdf")])
w.dispatched()
"""


def _env(home: Path, *, database_url: str | None = None, **extra) -> dict:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "yimen.settings", "YIMEN_VAR_DIR": str(home),
           "YIMEN_SECRET_KEY": "test-only-" + "k" * 50, "YIMEN_MEDIA_ROOT": str(home / "media"), **extra}
    env.pop("YIMEN_DATABASE_URL", None)  # SQLite in `home` unless told otherwise
    if database_url:
        env["YIMEN_DATABASE_URL"] = database_url
    return env


def yimen(env: dict, *args: str, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, timeout=timeout)


def _ok(result: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def _install(env: dict) -> None:
    # --skip-checks: start-up checks that read the database cannot run before it has tables.
    _ok(yimen(env, "migrate", "-v0", "--skip-checks"))
    _ok(yimen(env, "shell", "-c", _FILL))


def _backup(env: dict, into: Path) -> Path:
    return Path(_ok(yimen(env, "backup", str(into))).stdout.strip().splitlines()[-1])


def _sqlite_counts(path: Path) -> dict[str, int]:
    db = sqlite3.connect(path)
    try:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")]
        return {t: db.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        db.close()


def _file_sums(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): sha256_of(p) for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    # The SQLite round trips run their own file databases whatever the suite runs on: once is enough.
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        pytest.skip("the SQLite round trips run in the SQLite run of the suite")
    home = tmp_path_factory.mktemp("source")
    env = _env(home)
    _install(env)
    return env, home


@pytest.fixture(scope="module")
def backup(source, tmp_path_factory):
    env, _ = source
    return _backup(env, tmp_path_factory.mktemp("backups"))


def test_a_backup_restored_into_an_empty_installation_has_the_same_rows_and_files(source, backup, tmp_path):
    _, home = source
    target = _env(tmp_path)

    result = _ok(yimen(target, "restore", str(backup)))

    assert "核对通过" in result.stdout
    assert "表 cases_case" in result.stdout
    restored = _sqlite_counts(tmp_path / "yimen.sqlite3")
    assert restored == _sqlite_counts(home / "yimen.sqlite3")
    assert restored["cases_case"] == 4 and restored["cases_attachment"] == 3
    assert _file_sums(tmp_path / "media") == _file_sums(home / "media")
    assert len(_file_sums(tmp_path / "media")) == 3


def test_the_manifest_names_version_engine_migrations_counts_and_checksums(source, backup):
    manifest = json.loads((backup / MANIFEST).read_text(encoding="utf-8"))

    assert backup.name.startswith("yimen-") and not list(backup.parent.glob("*.partial"))
    assert manifest["engine"] == "sqlite" and manifest["yimen_version"]
    assert "0001_initial" in manifest["migrations"]["cases"]
    assert manifest["tables"]["cases_case"] == 4
    assert manifest["tables"]["cases_case_tags"] == 0  # many-to-many tables are counted too
    assert manifest["database"]["sha256"] == sha256_of(backup / "database.sqlite3")
    for entry in manifest["files"]:
        copied = backup / "files" / entry["path"]
        assert entry["sha256"] == sha256_of(copied) and entry["size"] == copied.stat().st_size


def test_a_backup_with_retention_deletes_the_backups_it_does_not_keep(source, tmp_path):
    env, _ = source
    into = tmp_path / "backups"
    for name in ("yimen-20200101-020000", "yimen-20200102-020000", "yimen-20200102-030000.partial"):
        (into / name).mkdir(parents=True)
        (into / name / MANIFEST).write_text("{}")

    result = _ok(yimen(env, "backup", str(into), "--keep-daily", "2"))

    assert "yimen-20200101-020000" in result.stderr and "已删除过期备份" in result.stderr
    names = sorted(p.name for p in into.iterdir())
    assert names[:2] == ["yimen-20200102-020000", "yimen-20200102-030000.partial"]
    assert len(names) == 3 and Path(result.stdout.strip()).name == names[2]


def test_a_failed_backup_leaves_no_folder_behind(tmp_path):
    env = _env(tmp_path / "never-migrated")
    into = tmp_path / "backups"

    result = yimen(env, "backup", str(into))

    assert result.returncode == 1
    assert "备份失败" in result.stderr and "不存在" in result.stderr
    assert not into.exists() or list(into.iterdir()) == []


def test_restore_refuses_a_database_that_already_has_data(source, backup):
    env, home = source
    before = _sqlite_counts(home / "yimen.sqlite3")

    result = yimen(env, "restore", str(backup))

    assert result.returncode == 1
    assert "目标数据库不是空的" in result.stderr and "createdb" in result.stderr
    assert _sqlite_counts(home / "yimen.sqlite3") == before


def test_restore_refuses_a_sqlite_file_that_holds_other_tables(backup, tmp_path):
    other = sqlite3.connect(tmp_path / "yimen.sqlite3")
    other.execute("CREATE TABLE notes (body TEXT)")
    other.commit()
    other.close()

    result = yimen(_env(tmp_path), "restore", str(backup))

    assert result.returncode == 1 and "目标数据库不是空的" in result.stderr and "notes" in result.stderr
    assert _sqlite_counts(tmp_path / "yimen.sqlite3") == {"notes": 0}


def test_restore_refuses_an_attachment_folder_that_has_files(backup, tmp_path):
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "left-over.txt").write_text("x")

    result = yimen(_env(tmp_path), "restore", str(backup))

    assert result.returncode == 1
    assert "附件目录" in result.stderr and "left-over.txt" in result.stderr
    assert not (tmp_path / "yimen.sqlite3").exists() or _sqlite_counts(tmp_path / "yimen.sqlite3") == {}


def test_a_changed_attachment_makes_verification_fail(backup, tmp_path):
    target = _env(tmp_path)
    _ok(yimen(target, "restore", str(backup)))
    changed = sorted((tmp_path / "media").rglob("*.pdf"))[0]
    changed.write_bytes(changed.read_bytes() + b"!")

    result = yimen(target, "restore", "--verify-only", str(backup))

    assert result.returncode == 1
    assert "核对未通过" in result.stderr
    assert changed.relative_to(tmp_path / "media").as_posix() in result.stdout


def test_a_damaged_backup_is_refused_before_anything_is_written(backup, tmp_path):
    damaged = tmp_path / "damaged"
    shutil.copytree(backup, damaged)
    victim = sorted((damaged / "files").rglob("*.pdf"))[0]
    victim.write_bytes(b"tampered")
    target = tmp_path / "target"

    result = yimen(_env(target), "restore", str(damaged))

    assert result.returncode == 1
    assert "备份已损坏" in result.stderr
    assert not (target / "yimen.sqlite3").exists() and not (target / "media").exists()


def test_an_unfinished_backup_folder_is_not_restored(backup, tmp_path):
    partial = tmp_path / (backup.name + ".partial")
    shutil.copytree(backup, partial)
    (partial / MANIFEST).unlink()

    result = yimen(_env(tmp_path / "target"), "restore", str(partial))

    assert result.returncode == 1 and "不是完整的备份" in result.stderr


def test_a_manifest_pointing_outside_the_attachment_folder_is_refused(backup, tmp_path):
    edited = tmp_path / "edited"
    shutil.copytree(backup, edited)
    manifest = json.loads((edited / MANIFEST).read_text(encoding="utf-8"))
    manifest["files"][0]["path"] = "../../outside.txt"
    (edited / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")

    result = yimen(_env(tmp_path / "target"), "restore", str(edited))

    assert result.returncode == 1 and "不允许的路径" in result.stderr
    assert not (tmp_path / "outside.txt").exists()


def test_a_backup_taken_while_another_connection_writes_is_one_snapshot(source, tmp_path):
    _, home = source
    live = tmp_path / "live"
    live.mkdir()
    shutil.copy(home / "yimen.sqlite3", live / "yimen.sqlite3")
    env = _env(live)
    stop, written, errors = threading.Event(), [], []

    def writer():
        # Another process's view of the database: WAL, a commit per row, no checkpoint, so recent
        # rows exist only in the -wal file (what a plain copy of yimen.sqlite3 would miss).
        db = sqlite3.connect(live / "yimen.sqlite3", timeout=30, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA wal_autocheckpoint=0")
        try:
            while not stop.is_set():
                db.execute("INSERT INTO cases_tag (name) VALUES (?)", [f"标签{len(written)}"])
                written.append(1)
        except sqlite3.Error as exc:  # reported below
            errors.append(exc)
        finally:
            db.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(written) < 200 and thread.is_alive():
            stop.wait(0.01)
        plain_copy = tmp_path / "plain.sqlite3"
        shutil.copy(live / "yimen.sqlite3", plain_copy)
        folder = _backup(env, tmp_path / "backups")
    finally:
        stop.set()
        thread.join()
    assert not errors

    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    snapshot = _sqlite_counts(folder / "database.sqlite3")
    assert manifest["tables"]["cases_tag"] == snapshot["cases_tag"] >= 200
    assert _sqlite_counts(plain_copy)["cases_tag"] < 200  # the plain copy missed what the WAL held
    assert snapshot["cases_tag"] <= len(written)
    _ok(yimen(_env(tmp_path / "restored"), "restore", str(folder)))


def test_backup_on_postgresql_without_pg_dump_says_what_to_install(tmp_path):
    env = _env(tmp_path, database_url="postgres://postgres@127.0.0.1:5432/yimen_none",
               PATH=str(Path(sys.executable).parent))

    result = yimen(env, "backup", str(tmp_path / "backups"))

    assert result.returncode == 1
    assert "找不到 pg_dump" in result.stderr and "postgresql-client" in result.stderr
    assert not (tmp_path / "backups").exists() or list((tmp_path / "backups").iterdir()) == []


# ---- PostgreSQL ------------------------------------------------------------------------------------

def _pg_url():
    """The suite's PostgreSQL server (the run's YIMEN_DATABASE_URL), or skip on SQLite."""
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("the PostgreSQL round trip runs when the suite runs on PostgreSQL")
    for program in ("pg_dump", "pg_restore"):
        if shutil.which(program) is None:
            message = f"{program} is not on PATH: install postgresql-client (the PostgreSQL backup test needs it)"
            if os.environ.get("CI") == "true":
                pytest.fail(message)
            pytest.skip(message)
    return os.environ["YIMEN_DATABASE_URL"]


def _scratch(url: str, name: str):
    import psycopg
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = conninfo_to_dict(url)
    params["dbname"] = "postgres"
    admin = psycopg.connect(make_conninfo(**params), autocommit=True)
    params["dbname"] = name
    return admin, make_conninfo(**params)


def _pg_counts(conninfo: str) -> dict[str, int]:
    import psycopg

    with psycopg.connect(conninfo) as conn:
        tables = [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        return {t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}


@contextmanager
def _writing(conninfo: str):
    """Another connection inserting tags, one commit each, for as long as the block runs."""
    import psycopg

    stop, written, errors = threading.Event(), [], []

    def writer():
        try:
            with psycopg.connect(conninfo, autocommit=True) as conn:
                while not stop.is_set():
                    conn.execute("INSERT INTO cases_tag (name) VALUES (%s)", [f"标签{len(written)}"])
                    written.append(1)
        except psycopg.Error as exc:  # reported below
            errors.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while not written and thread.is_alive():
            stop.wait(0.01)
        yield written
    finally:
        stop.set()
        thread.join()
    assert not errors


def test_a_postgresql_backup_restored_into_a_new_database_has_the_same_rows_and_files(tmp_path):
    url = _pg_url()
    base = url.rsplit("/", 1)[0]
    name = url.rsplit("/", 1)[1].split("?")[0]
    source_db, target_db = f"{name}_backup_source", f"{name}_restore"
    admin, _ = _scratch(url, "postgres")
    try:
        for db in (source_db, target_db):
            admin.execute(f'DROP DATABASE IF EXISTS "{db}"')
            admin.execute(f'CREATE DATABASE "{db}"')
        source = _env(tmp_path / "source", database_url=f"{base}/{source_db}")
        target = _env(tmp_path / "target", database_url=f"{base}/{target_db}")
        _install(source)
        with _writing(f"{base}/{source_db}") as written:
            folder = _backup(source, tmp_path / "backups")
        assert (folder / "database.pgdump").is_file()
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        assert 0 < manifest["tables"]["cases_tag"] <= len(written)  # counted in the dumped snapshot

        result = _ok(yimen(target, "restore", str(folder)))

        assert "核对通过" in result.stdout
        restored = _pg_counts(f"{base}/{target_db}")
        assert restored["cases_case"] == 4 and restored["cases_tag"] == manifest["tables"]["cases_tag"]
        live = _pg_counts(f"{base}/{source_db}")
        assert {t: n for t, n in restored.items() if t != "cases_tag"} == {t: n for t, n in live.items() if t != "cases_tag"}
        assert _file_sums(tmp_path / "target" / "media") == _file_sums(tmp_path / "source" / "media")
        again = yimen(target, "restore", str(folder))
        assert again.returncode == 1 and "目标数据库不是空的" in again.stderr
        missing = yimen(_env(tmp_path / "nowhere", database_url=f"{base}/{name}_never_created"), "restore", str(folder))
        assert missing.returncode == 1 and "createdb" in missing.stderr
    finally:
        for db in (source_db, target_db):
            admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        admin.close()
