from django.core.management.base import BaseCommand

from yimen.triage.cli import main


class Command(BaseCommand):
    help = "智能研判：suggest / train / predict / evaluate / import-statutes / load-defaults / build-index / accuracy"

    def run_from_argv(self, argv):
        # argv is [prog, "triage", ...]; the triage CLI owns its own argument parsing.
        code = main(argv[2:], stdout=self.stdout._out, stderr=self.stderr._out)
        if code:
            raise SystemExit(code)

    def handle(self, *args, **options):  # call_command("triage", "suggest", "…")
        code = main(list(args), stdout=self.stdout._out, stderr=self.stderr._out)
        if code:
            raise SystemExit(code)

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.add_argument("args", nargs="*")
        return parser
