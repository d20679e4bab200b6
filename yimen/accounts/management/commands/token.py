"""API tokens: `yimen token create USERNAME [--name NAME]`, `yimen token list USERNAME`,
`yimen token revoke PREFIX`.

The raw token is printed once, at creation; only its digest is stored (ApiToken.issue).
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from yimen.accounts.models import ApiToken, User


class Command(BaseCommand):
    help = _("管理接口令牌：create 生成（只显示一次）、list 列出、revoke 吊销。")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True, metavar="{create,list,revoke}")
        create = sub.add_parser("create", help=_("为用户生成令牌，令牌只显示这一次"))
        create.add_argument("username")
        create.add_argument("--name", default="", help=_("用途，如“12345热线对接”"))
        listing = sub.add_parser("list", help=_("列出用户的令牌（只显示前缀）"))
        listing.add_argument("username")
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

    def _create(self, *, username, name, **options):
        token, raw = ApiToken.issue(self._user(username), name=name[:60])
        self.stderr.write(_("已为 %(u)s 生成令牌（前缀 %(p)s）。请立即保存，它不会再次显示：") % {"u": username, "p": token.prefix})
        # The raw token alone on stdout, so `TOKEN=$(yimen token create clerk)` works.
        self.stdout.write(raw)

    def _list(self, *, username, **options):
        tokens = ApiToken.objects.filter(user=self._user(username)).order_by("created_at")
        if not tokens:
            self.stdout.write(_("%(u)s 没有令牌。") % {"u": username})
        for token in tokens:
            used = timezone.localtime(token.last_used_at).strftime("%Y-%m-%d %H:%M") if token.last_used_at else _("从未使用")
            state = _("已吊销") if token.revoked else _("有效")
            created = timezone.localtime(token.created_at).strftime("%Y-%m-%d %H:%M")
            self.stdout.write("\t".join([token.prefix, state, _("创建 %(t)s") % {"t": created}, _("最近使用 %(t)s") % {"t": used}, token.name]))

    def _revoke(self, *, prefix, **options):
        matches = list(ApiToken.objects.filter(prefix=prefix, revoked=False).select_related("user"))
        if not matches:
            raise CommandError(_("没有前缀为 %(p)s 的有效令牌。") % {"p": prefix})
        if len(matches) > 1:
            owners = "、".join(t.user.username for t in matches)
            raise CommandError(_("前缀 %(p)s 对应多个令牌（%(o)s），请在管理后台吊销。") % {"p": prefix, "o": owners})
        ApiToken.objects.filter(pk=matches[0].pk).update(revoked=True)
        self.stdout.write(_("已吊销令牌 %(p)s（%(u)s）。") % {"p": prefix, "u": matches[0].user.username})
