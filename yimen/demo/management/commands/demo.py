"""yimen demo load [--matters N] [--seed S]   load the fictional 云川市 (does nothing if it is there)
yimen demo table [--base-url URL]           print the sign-in table for the address actually served

Demo mode only (settings.YIMEN_DEMO, which `make run` sets): the demo's passwords are published.
`make run` prints the table once, after the server answers, with the address it serves on.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from yimen.demo.loader import DemoConflict, demo_exists, demo_load
from yimen.demo.signin import signin_table


class Command(BaseCommand):
    help = "演示数据：加载虚构的云川市（综治中心、单位、人员与一年的事项），或打印演示账号表。"
    # `make run` has just migrated (and shown the checks); the table should not repeat them.
    requires_system_checks = ()

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["load", "table"], help="load: 加载演示数据；table: 打印演示账号表")
        parser.add_argument("--matters", type=int, default=2000, help="事项数量 (default 2000)")
        parser.add_argument("--seed", type=int, default=2025, help="随机种子 (default 2025)")
        parser.add_argument("--base-url", default="", help="账号表中的网址 (the address served; default YIMEN_PUBLIC_BASE_URL)")

    def handle(self, *args, action, matters, seed, base_url, **options):
        if action == "load":
            self._load(matters, seed)
            return
        if demo_exists():
            self.stdout.write("")
            self.stdout.write(signin_table(base_url.rstrip("/") or settings.YIMEN_PUBLIC_BASE_URL or "http://127.0.0.1:8000"))
        else:
            self.stdout.write("演示数据尚未加载：yimen demo load (the demo is not loaded yet)")

    def _load(self, matters: int, seed: int) -> None:
        if matters < 0:
            raise CommandError("--matters 不能为负数")
        if not settings.YIMEN_DEMO:
            # The demo's passwords are published: its accounts must never appear in a centre's database.
            raise CommandError(
                "演示数据只在演示模式下加载（它的密码是公开的）：YIMEN_DEMO=true yimen demo load；`make run` 已自动设置。"
                " / The demo (whose passwords are published) loads only in demo mode: YIMEN_DEMO=true yimen demo load."
            )
        step = max(matters // 8, 1)

        def progress(done, total):
            if done % step == 0 or done == total:
                self.stdout.write(f"  事项 matters {done}/{total}")

        if demo_exists():
            self.stdout.write("演示数据已存在，未做改动 (the demo region exists; nothing loaded).")
            return
        self.stdout.write(f"正在加载演示数据 (loading the demo: {matters} matters, seed {seed}) …")
        try:
            report = demo_load(matters=matters, seed=seed, on_progress=progress)
        except DemoConflict as exc:
            raise CommandError(str(exc)) from None
        statuses = "，".join(f"{status} {n}" for status, n in sorted(report.statuses.items()))
        self.stdout.write(self.style.SUCCESS(
            f"已加载 loaded: {report.regions} 个区划, {report.units} 个单位, {report.users} 个账号, "
            f"{report.matters} 件事项 in {report.seconds:.1f}s"
        ))
        self.stdout.write(f"  状态 statuses: {statuses}")
