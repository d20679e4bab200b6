"""`yimen translations compile|check`: the English catalogue, without GNU gettext (yimen.common.catalogue)."""

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Compile the English catalogue (.po → .mo) or check it against the source. Needs the dev dependencies (Babel)."

    def add_arguments(self, parser):
        parser.add_argument("what", choices=["compile", "check"])

    def handle(self, *args, what, **options):
        try:
            from yimen.common import catalogue
        except ImportError as exc:  # pragma: no cover - Babel missing outside the dev install
            raise CommandError(f"需要开发依赖 (needs the dev dependencies: make install-dev): {exc}") from exc
        if what == "compile":
            written = catalogue.compile_catalogue()
            self.stdout.write(f"{catalogue.MO_PATH}: {written} messages")
            return
        problems = catalogue.catalogue_problems()
        for line in problems:
            self.stdout.write(line)
        if problems:
            raise CommandError(f"{len(problems)} problem(s) in the English catalogue")
        self.stdout.write("the English catalogue is whole")
