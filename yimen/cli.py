"""The `yimen` command: Django's manage.py plus Yimen's own subcommands.

    yimen migrate | runserver | createsuperuser …   (any Django command)
    yimen token create USERNAME                        (API token, printed once)
    yimen demo load                                    (the fictional demo region)
    yimen worker                                       (background tasks + periodic sweep)
    yimen triage suggest "TEXT" …                      (triage engine)
"""

import os
import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yimen.settings")
    import django
    from django.core.management import execute_from_command_line

    if argv[:1] == ["triage"]:
        django.setup()
        from yimen.triage.cli import main as triage_main

        return triage_main(argv[1:])
    execute_from_command_line(["yimen", *argv])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
