"""API tokens: `yimen token create USERNAME [--days N] [--name NAME]`, `yimen token list [USERNAME]`,
`yimen token revoke PREFIX`.

The raw token is printed once, at creation; only its digest is stored (ApiToken.issue). A token
expires after --days days (default YIMEN_API_TOKEN_DAYS).
"""

import getpass

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yimen.accounts.models import ApiToken, User
from yimen.accounts.tokens import api_tokens_revoke
from yimen.audit.models import AuditKind
from yimen.audit.services import audit_record


def _operator() -> str:
    # No signed-in user at a terminal: the audit trail names the operating-system account.
    return f"cli:{getpass.getuser()}"


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


class Command(BaseCommand):
    help = _("管理接口令牌：create 生成（只显示一次）、list 列出、revoke 吊销。")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True, metavar="{create,list,revoke}")
        create = sub.add_parser("create", help=_("为用户生成令牌，令牌只显示这一次"))
        create.add_argument("username")
        create.add_argument("--name", default="", help=_("用途，如“12345热线对接”"))
        create.add_argument("--days", type=int, default=None, help=_("有效天数（默认见 YIMEN_API_TOKEN_DAYS）"))
        listing = sub.add_parser("list", help=_("列出令牌（只显示前缀）；不给用户名时列出全部"))
        listing.add_argument("username", nargs="?")
        revoke = sub.add_parser("revoke", help=_("按前缀吊销令牌"))
        revoke.add_argument("prefix")

    def handle(self, *args, verb, **options):
        getattr(self, f"_{verb}")(**options)

    def _user(self, username: str) -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(_("用户不存在：%(u)s") % {"u": username})
        if not user.is_active:
            raise CommandError(_("用户已停用：%(u)s") % {"u": username})
        return user

    def _create(self, *, username, name, days, **options):
        if days is not None and not 1 <= days <= 3650:
            raise CommandError(_("有效天数须在 1 到 3650 之间。"))
        with transaction.atomic():
            token, raw = ApiToken.issue(self._user(username), name=name[:60], days=days)
            audit_record(kind=AuditKind.TOKEN_CREATED, obj=token, actor_username=_operator(),
                         details={"user": username, "prefix": token.prefix, "expires_at": token.expires_at.isoformat()},
                         summary=lambda: _("为 %(u)s 签发接口令牌 %(p)s") % {"u": username, "p": token.prefix})
        self.stderr.write(
            _("已为 %(u)s 生成令牌（前缀 %(p)s，有效期至 %(e)s）。请立即保存，它不会再次显示：")
            % {"u": username, "p": token.prefix, "e": _when(token.expires_at)}
        )
        # The raw token alone on stdout, so `TOKEN=$(yimen token create clerk)` works.
        self.stdout.write(raw)

    def _list(self, *, username=None, **options):
        tokens = ApiToken.objects.select_related("user").order_by("created_at")
        if username:
            tokens = tokens.filter(user=self._user(username))
        if not tokens:
            self.stdout.write(_("%(u)s 没有令牌。") % {"u": username} if username else _("没有令牌。"))
        now = timezone.now()
        for token in tokens:
            used = _when(token.last_used_at) if token.last_used_at else _("从未使用")
            if token.revoked:
                state = _("已吊销")
            elif token.expires_at <= now:
                state = _("已过期")
            else:
                state = _("有效")
            self.stdout.write("\t".join([
                token.prefix, token.user.username, state, _("创建 %(t)s") % {"t": _when(token.created_at)},
                _("有效期至 %(t)s") % {"t": _when(token.expires_at)}, _("最近使用 %(t)s") % {"t": used}, token.name,
            ]))

    def _revoke(self, *, prefix, **options):
        matches = list(ApiToken.objects.filter(prefix=prefix, revoked=False).select_related("user"))
        if not matches:
            raise CommandError(_("没有前缀为 %(p)s 的有效令牌。") % {"p": prefix})
        if len(matches) > 1:
            owners = "、".join(t.user.username for t in matches)
            raise CommandError(_("前缀 %(p)s 对应多个令牌（%(o)s），请在管理后台吊销。") % {"p": prefix, "o": owners})
        with transaction.atomic():
            api_tokens_revoke(tokens=ApiToken.objects.filter(pk=matches[0].pk))
            audit_record(kind=AuditKind.TOKEN_REVOKED, obj=matches[0], actor_username=_operator(),
                         details={"user": matches[0].user.username, "prefix": prefix},
                         summary=lambda: _("吊销 %(u)s 的接口令牌 %(p)s") % {"u": matches[0].user.username, "p": prefix})
        self.stdout.write(_("已吊销令牌 %(p)s（%(u)s）。") % {"p": prefix, "u": matches[0].user.username})
