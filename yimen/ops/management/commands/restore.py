"""`yimen restore DIR`: a backup folder into an empty installation, verified (yimen.ops.restore)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from yimen.ops.manifest import OpsError, read_manifest
from yimen.ops.restore import backup_restore, backup_verify, format_report


class Command(BaseCommand):
    help = "把一个备份文件夹恢复到空的数据库与附件目录，再逐表核对行数、逐个核对附件校验值。见 docs/operations.md。"
    # The target is empty before a restore: checks that read the database would fail there.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("dir", type=Path, help="一个备份文件夹（yimen-YYYYMMDD-HHMMSS）")
        parser.add_argument("--verify-only", action="store_true",
                            help="不恢复，只把当前数据库与附件目录和该备份的清单核对一遍")

    def handle(self, *args, dir, verify_only, **options):
        try:
            manifest = read_manifest(dir) if verify_only else backup_restore(backup=dir)
            checks = backup_verify(manifest)
        except (OpsError, OSError) as exc:
            raise CommandError(_("恢复失败：%(error)s") % {"error": exc}) from exc
        self.stdout.write(format_report(checks))
        differences = [c for c in checks if not c.ok]
        if differences:
            raise CommandError(_("核对未通过：%(count)s 项与备份清单不同（见上表）。") % {"count": len(differences)})
        self.stdout.write(_("核对通过：%(tables)s 张表的行数与 %(files)s 个附件的校验值都与备份 %(created)s 一致。") % {
            "tables": len(manifest["tables"]), "files": len(manifest["files"]), "created": manifest["created_at"]})
