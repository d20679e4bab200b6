"""Django's makemessages, also collecting `_l(...)`: the alias our modules give gettext_lazy where `_`
is the eager gettext (see docs/languages.md). Without it those labels never reach the catalogue."""

from django.core.management.commands.makemessages import Command as MakeMessagesCommand


class Command(MakeMessagesCommand):
    xgettext_options = [*MakeMessagesCommand.xgettext_options, "--keyword=_l"]
