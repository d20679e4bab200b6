"""Which backups `--keep-daily/--keep-weekly/--keep-monthly` keep, and the PostgreSQL client checks."""

from datetime import datetime, timedelta

import pytest

from yimen.ops import pgclient
from yimen.ops.backup import NAME_FORMAT, Retention, backups_prune, backups_to_keep
from yimen.ops.manifest import OpsError


def _nightly(days: int, *, last=datetime(2026, 12, 3, 2, 0)):
    return [last - timedelta(days=n) for n in range(days)]


def test_seven_daily_four_weekly_twelve_monthly_keep_one_per_period():
    stamps = _nightly(400)

    kept = backups_to_keep(stamps, Retention(daily=7, weekly=4, monthly=12))

    assert sorted(kept)[-7:] == sorted(stamps)[-7:]
    months = {(s.year, s.month) for s in kept}
    assert len(months) == 12
    assert len(kept) <= 7 + 4 + 12


def test_the_newest_of_a_day_is_kept_and_an_earlier_one_that_day_is_not():
    morning, night = datetime(2026, 12, 3, 2, 0), datetime(2026, 12, 3, 23, 0)

    assert backups_to_keep([morning, night], Retention(daily=1)) == {night}


def test_the_newest_backup_is_kept_even_with_no_retention():
    stamps = _nightly(3)

    assert backups_to_keep(stamps, Retention()) == {max(stamps)}


def test_pruning_deletes_only_complete_backups_that_are_not_kept(tmp_path):
    for stamp in _nightly(10):
        folder = tmp_path / stamp.strftime(NAME_FORMAT)
        folder.mkdir()
        (folder / "manifest.json").write_text("{}")
    (tmp_path / "yimen-20261101-020000.partial").mkdir()
    (tmp_path / "notes").mkdir()

    removed = backups_prune(folder=tmp_path, retention=Retention(daily=7))

    assert len(removed) == 3
    names = sorted(p.name for p in tmp_path.iterdir())
    assert "yimen-20261101-020000.partial" in names and "notes" in names and len(names) == 9


def test_an_old_pg_dump_against_a_newer_server_is_refused_with_the_client_to_install():
    with pytest.raises(OpsError, match="postgresql-client-16"):
        pgclient.require_dump_version(client=15, server=16)
    pgclient.require_dump_version(client=16, server=15)  # newer clients read older servers


def test_a_dump_from_a_newer_pg_dump_is_refused_by_an_older_pg_restore():
    with pytest.raises(OpsError, match="pg_dump 17"):
        pgclient.require_restore_version(client=15, dumped_by=17)


def test_the_client_major_version_is_read_from_its_version_line(tmp_path):
    fake = tmp_path / "pg_dump"
    fake.write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 13.4 (Debian 13.4-1)'\n")
    fake.chmod(0o755)

    assert pgclient.client_major(str(fake)) == 13
    assert pgclient.server_major(150020) == 15 and pgclient.server_major(90624) == 9
