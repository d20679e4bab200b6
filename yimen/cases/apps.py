from django.apps import AppConfig
from django.core import checks
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "yimen.cases"
    verbose_name = _("事项")

    def ready(self):
        from yimen.triage.hooks import categories_created

        from . import deadlines, jobs  # noqa: F401 - jobs registers the sweep with `yimen worker`
        from .overdue import install_overdue_sql_after_migrate
        from .search import install_search_sql_after_migrate
        from .triage_link import matter_categories_for_engine_categories

        # The search index's SQL (FTS5 table and triggers, GIN index, SQL tokenizer) for databases
        # built without migrations, as the tests' are; idempotent (migration 0015_case_search runs it too).
        post_migrate.connect(install_search_sql_after_migrate, sender=self, dispatch_uid="cases_search_sql")
        # The overdue matters' table is kept by triggers (cases/overdue.py); the same for such databases.
        post_migrate.connect(install_overdue_sql_after_migrate, sender=self, dispatch_uid="cases_overdue_sql")

        # A ledger's own labels made categories in the engine's admin become the matters' categories too.
        categories_created.connect(matter_categories_for_engine_categories, dispatch_uid="cases_categories_from_engine")

        # Not tagged "database": it should also warn at server start that a year's holidays are missing.
        checks.register(deadlines.check_calendar)
