"""Print the move table (rules.MOVES) as Markdown: docs/workflow.md is this output, checked by a test."""

from django.core.management.base import BaseCommand
from django.utils import translation

from yimen.accounts.models import Role
from yimen.cases.models import Status
from yimen.cases.rules import MOVES, SYSTEM_ACTIONS, Action


def workflow_markdown() -> str:
    with translation.override("zh-hans"):
        lines = [
            "| 动作 action | 可从以下状态执行 from | 之后状态 to | 可执行角色 roles | 系统可执行 |",
            "| --- | --- | --- | --- | --- |",
        ]
        status_order = list(Status.values)
        role_order = list(Role.values)
        for action, move in MOVES.items():
            sources = "、".join(f"{Status(s).label}" for s in sorted(move.sources, key=status_order.index))
            target = Status(move.target).label if move.target else "不变或由办理情况决定"
            roles = "、".join(str(Role(r).label) for r in sorted(move.roles, key=role_order.index))
            system = "是" if action in SYSTEM_ACTIONS else ""
            lines.append(f"| {Action(action).label} `{action}` | {sources} | {target} | {roles} | {system} |")
        return "\n".join(lines) + "\n"


class Command(BaseCommand):
    help = "打印事项流转规则表（Markdown）"

    def handle(self, *args, **options):
        self.stdout.write(workflow_markdown(), ending="")
