"""`yimen backup DIR`: a complete, verified-on-restore copy of the installation (yimen.ops.backup)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from yimen.ops.backup import Retention, backup_create, backups_prune
from yimen.ops.manifest import OpsError


def _count(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = "备份数据库与附件到 DIR 下一个带时间的新文件夹（含 manifest.json：行数与校验值）。见 docs/operations.md。"
    # A backup must run even when a start-up check would refuse to serve (that is when one is needed).
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("dir", type=Path, help="备份存放目录，每次备份在其中新建 yimen-YYYYMMDD-HHMMSS 文件夹")
        parser.add_argument("--keep-daily", type=_count, default=None, help="备份成功后只保留最近 N 天每天最新的一份")
        parser.add_argument("--keep-weekly", type=_count, default=0, help="另外保留最近 N 周每周最新的一份")
        parser.add_argument("--keep-monthly", type=_count, default=0, help="另外保留最近 N 个月每月最新的一份")

    def handle(self, *args, dir, keep_daily, keep_weekly, keep_monthly, **options):
        try:
            folder = backup_create(into=dir)
        except OpsError as exc:
            raise CommandError(_("备份失败：%(error)s") % {"error": exc}) from exc
        except OSError as exc:
            raise CommandError(_("备份失败：%(error)s") % {"error": exc}) from exc
        self.stdout.write(str(folder))
        if keep_daily is not None or keep_weekly or keep_monthly:
            retention = Retention(daily=keep_daily or 0, weekly=keep_weekly, monthly=keep_monthly)
            for removed in backups_prune(folder=folder.parent, retention=retention):
                self.stderr.write(_("已删除过期备份 %(path)s") % {"path": removed})
