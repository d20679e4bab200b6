"""`yimen search reindex [--batch N] [--after ID] [--missing]`: (re)write the search tokens of matters.

Walks the matters by id in batches, each its own transaction, printing the last id done: an
interrupted run is resumed with `--after <that id>`, or with `--missing` (only matters without
tokens). On PostgreSQL each batch is one INSERT … SELECT through the SQL tokenizer.
"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from yimen.cases.search import case_search_reindex


class Command(BaseCommand):
    help = "重建事项全文检索词（reindex）"

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["reindex"])
        parser.add_argument("--batch", type=int, default=10_000, help="matters per transaction (default 10,000)")
        parser.add_argument("--after", type=int, default=0, help="start after this matter id (to resume)")
        parser.add_argument("--missing", action="store_true", help="only matters that have no search tokens")

    def handle(self, *args, action, batch, after, missing, **options):
        if batch < 1:
            raise CommandError("--batch must be at least 1")
        with connection.cursor() as cursor:
            cursor.execute("SELECT coalesce(max(id), 0) FROM cases_case")
            last = cursor.fetchone()[0]
        started, done, position = time.monotonic(), 0, after
        while position < last:
            upto = min(position + batch, last)
            with transaction.atomic():
                done += case_search_reindex(after_id=position, upto_id=upto, missing_only=missing)
            position = upto
            self.stdout.write(f"reindexed up to id {position} ({done:,} matters, {time.monotonic() - started:.0f} s)")
        self.stdout.write(self.style.SUCCESS(f"done: {done:,} matters in {time.monotonic() - started:.1f} s"))
