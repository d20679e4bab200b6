"""Text search over matters: the number, title, description, request, address, and the parties'
names and addresses.

One tokenizer for documents and queries (`_runs`): the text is cut into runs of word characters
(CJK, kana, hangul, ASCII letters and digits, full-width digits; ASCII folded to lower case), and
every run gives its character bigrams plus its last character alone. So any substring of a run is
found through the index:

- a query run of two or more characters needs its bigrams (ANDed; every other one is enough, as long
  as every character is covered: `query_terms`);
- a query run of one character needs a token starting with it (a prefix match): every character of a
  document starts a bigram or is the last of its run.

Tokens are at most two characters long, so the matter's number goes in as one longer token (its
word characters) and is found exactly. The index only narrows: the rows it returns are checked
again with the exact test users see (`case_text_q`: substring, ASCII case ignored), so results are
what a full scan would give.

Where the tokens live: `CaseSearch`, one row per matter, written by `case_search_write` from the
one writer of each field (intake, the admin) — never by a signal (docs/architecture.md). PostgreSQL
keeps them as a `tsvector` with a GIN index; SQLite as text indexed by an FTS5 table that triggers
keep in step (`INSTALL_SQL`, run by migration 0015_case_search and after every migrate). The same
tokenizer exists in SQL for bulk fills (`yimen_search_document`); `tests/test_search.py` checks both
give the same tokens. How a search runs, and why so: `case_text_q`, and docs/performance.md
("Text search").
"""

import re
from collections.abc import Iterable

from django.db import connection
from django.db.models import Exists, OuterRef, Q

# The characters that make words. Kept to ranges without case (besides ASCII) so that PostgreSQL's
# SQL copy of the tokenizer (which lower-cases only A–Z, like this one) gives the same tokens.
WORD_CHARS = (
    "0-9a-z"
    "\u3040-\u30ff"  # kana
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # CJK ideographs (extension A, unified, compatibility)
    "\uac00-\ud7af"  # hangul
    "\uff10-\uff19"  # full-width digits
    "\U00020000-\U0003134f"  # CJK extensions B–G
)
_RUN = re.compile(f"[{WORD_CHARS}]+")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _runs(text: str) -> list[str]:
    return _RUN.findall((text or "").translate(_ASCII_LOWER))


def number_token(number: str) -> str:
    """The matter number as one token (its word characters): longer than any text token."""
    return "".join(_runs(number))


def document_tokens(texts: Iterable[str], *, number: str = "") -> list[str]:
    """The tokens of a matter's texts, sorted, each once."""
    tokens = set()
    for text in texts:
        for run in _runs(text):
            tokens.update(run[i:i + 2] for i in range(len(run)))
    if len(mark := number_token(number)) > 2:
        tokens.add(mark)
    return sorted(tokens)


def case_texts(case, parties) -> list[str]:
    """What text search reads of a matter: its own texts, then each party's name and address."""
    texts = [case.title, case.description, case.request, case.address]
    for party in parties:
        texts += [party.name, party.address]
    return [t or "" for t in texts]


def query_terms(text: str) -> tuple[list[str], list[str]]:
    """(tokens every match has, prefixes a token of every match starts with).

    A run's bigrams are taken every other character (拖欠工资 → 拖欠, 工资), plus the last pair when
    the length is odd: every character is covered, the index intersects half as many lists, and the
    exact test afterwards decides anyway.
    """
    tokens, prefixes = [], []
    for run in _runs(text):
        if len(run) == 1:
            prefixes.append(run)
            continue
        starts = list(range(0, len(run) - 1, 2))
        if starts[-1] != len(run) - 2:
            starts.append(len(run) - 2)
        tokens += [run[i:i + 2] for i in starts]
    return list(dict.fromkeys(tokens)), list(dict.fromkeys(prefixes))


# ---------------------------------------------------------------------------------------------
# The index on each database (migration 0015_case_search; post_migrate for databases built from
# the models alone, as the tests' are). Idempotent.

_LOWER_SQL = "translate({}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"
_DOC_SQL = _LOWER_SQL.format("coalesce(doc, '')")
_NUMBER_SQL = _LOWER_SQL.format("coalesce(number, '')")
INSTALL_SQL = {
    "postgresql": [
        # Each run of word characters gives substr(run, i, 2) for i = 1 … length: its bigrams, then
        # its last character alone — document_tokens in SQL, for bulk fills.
        f"""
        CREATE OR REPLACE FUNCTION yimen_search_tokens(doc text) RETURNS text[]
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $body$
          SELECT coalesce(array_agg(substr(m.r[1], i, 2)), '{{}}')  -- array_to_tsvector drops repeats
          FROM regexp_matches({_DOC_SQL}, '[{WORD_CHARS}]+', 'g') AS m(r),
               generate_series(1, length(m.r[1])) AS i
        $body$
        """,
        # The number joins as one token of its word characters (number_token).
        f"""
        CREATE OR REPLACE FUNCTION yimen_search_document(doc text, number text) RETURNS tsvector
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $body$
          SELECT array_to_tsvector(yimen_search_tokens(doc)
                                   || CASE WHEN length(n.n) > 2 THEN ARRAY[n.n] ELSE '{{}}'::text[] END)
          FROM (SELECT regexp_replace({_NUMBER_SQL}, '[^{WORD_CHARS}]+', '', 'g') AS n) AS n
        $body$
        """,
        # Serves _index_hits: document @@ tsquery.
        "CREATE INDEX IF NOT EXISTS case_search_document ON cases_casesearch USING gin (document)",
    ],
    # The 'ascii' tokenizer cuts at ASCII spaces and punctuation only: each stored token (ASCII
    # letters and digits, or non-ASCII characters) stays one FTS5 term. External content: the tokens
    # are stored once, in cases_casesearch; the triggers carry every write of it to the index.
    "sqlite": [
        "CREATE VIRTUAL TABLE IF NOT EXISTS cases_casesearch_fts USING fts5("
        "document, content='cases_casesearch', content_rowid='case_id', tokenize='ascii')",
        "CREATE TRIGGER IF NOT EXISTS cases_casesearch_fts_insert AFTER INSERT ON cases_casesearch BEGIN "
        "INSERT INTO cases_casesearch_fts(rowid, document) VALUES (new.case_id, new.document); END",
        "CREATE TRIGGER IF NOT EXISTS cases_casesearch_fts_delete AFTER DELETE ON cases_casesearch BEGIN "
        "INSERT INTO cases_casesearch_fts(cases_casesearch_fts, rowid, document) "
        "VALUES ('delete', old.case_id, old.document); END",
        "CREATE TRIGGER IF NOT EXISTS cases_casesearch_fts_update AFTER UPDATE ON cases_casesearch BEGIN "
        "INSERT INTO cases_casesearch_fts(cases_casesearch_fts, rowid, document) "
        "VALUES ('delete', old.case_id, old.document); "
        "INSERT INTO cases_casesearch_fts(rowid, document) VALUES (new.case_id, new.document); END",
    ],
}
UNINSTALL_SQL = {
    "postgresql": [
        "DROP INDEX IF EXISTS case_search_document",
        "DROP FUNCTION IF EXISTS yimen_search_document(text, text)",
        "DROP FUNCTION IF EXISTS yimen_search_tokens(text)",
    ],
    "sqlite": [
        "DROP TRIGGER IF EXISTS cases_casesearch_fts_update",
        "DROP TRIGGER IF EXISTS cases_casesearch_fts_delete",
        "DROP TRIGGER IF EXISTS cases_casesearch_fts_insert",
        "DROP TABLE IF EXISTS cases_casesearch_fts",
    ],
}


def install_search_sql(conn) -> None:
    with conn.cursor() as cursor:
        for statement in INSTALL_SQL.get(conn.vendor, []):
            cursor.execute(statement)


def install_search_sql_after_migrate(using, **kwargs) -> None:
    """post_migrate: a database whose tables were made from the models (no migrations) gets the
    index too, once cases_casesearch exists."""
    from django.db import connections

    conn = connections[using]
    if "cases_casesearch" in conn.introspection.table_names():
        install_search_sql(conn)


# ---------------------------------------------------------------------------------------------
# Writing


def case_search_write(*, case, parties=None) -> None:
    """Write (or rewrite) the matter's search tokens. `parties`: the matter's parties if at hand
    (intake has them), else they are read. One statement (an upsert)."""
    from .models import CaseSearch

    if parties is None:
        parties = list(case.parties.only("name", "address"))
    row = CaseSearch(case_id=case.pk, document=document_tokens(case_texts(case, parties), number=case.number))
    CaseSearch.objects.bulk_create([row], update_conflicts=True, unique_fields=["case"], update_fields=["document"])


def case_search_reindex(*, after_id: int = 0, upto_id: int | None = None, missing_only: bool = False) -> int:
    """Rewrite the tokens of the matters with after_id < id <= upto_id; returns how many.

    On PostgreSQL one INSERT … SELECT through the SQL tokenizer (no row comes to Python); on SQLite
    a loop in Python (embedded data sets are small).
    """
    if upto_id is None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT coalesce(max(id), 0) FROM cases_case")
            upto_id = cursor.fetchone()[0]
    if connection.vendor == "postgresql":
        return _reindex_sql(after_id, upto_id, missing_only)
    return _reindex_python(after_id, upto_id, missing_only)


FILL_SQL = """
INSERT INTO cases_casesearch (case_id, document)
SELECT c.id, yimen_search_document(concat_ws(E'\\n', c.title, c.description, c.request, c.address, p.texts), c.number)
FROM cases_case c
LEFT JOIN (
  SELECT case_id, string_agg(name || E'\\n' || address, E'\\n') AS texts FROM cases_party
  WHERE case_id > %(after)s AND case_id <= %(upto)s GROUP BY case_id
) p ON p.case_id = c.id
WHERE c.id > %(after)s AND c.id <= %(upto)s {missing}
ON CONFLICT (case_id) DO UPDATE SET document = EXCLUDED.document
"""
_MISSING = "AND NOT EXISTS (SELECT 1 FROM cases_casesearch s WHERE s.case_id = c.id)"


def _reindex_sql(after_id: int, upto_id: int, missing_only: bool) -> int:
    with connection.cursor() as cursor:
        cursor.execute(FILL_SQL.format(missing=_MISSING if missing_only else ""), {"after": after_id, "upto": upto_id})
        return cursor.rowcount


def _reindex_python(after_id: int, upto_id: int, missing_only: bool) -> int:
    from .models import Case, CaseSearch

    cases = Case.objects.filter(pk__gt=after_id, pk__lte=upto_id).only("number", "title", "description", "request", "address")
    if missing_only:
        cases = cases.exclude(Exists(CaseSearch.objects.filter(case=OuterRef("pk"))))
    done = 0
    for case in cases.prefetch_related("parties").iterator(chunk_size=500):
        case_search_write(case=case, parties=case.parties.all())
        done += 1
    return done


# ---------------------------------------------------------------------------------------------
# Reading


def _tsquery(tokens: list[str], prefixes: list[str], number: str) -> str:
    def quote(token: str) -> str:
        return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"

    words = " & ".join([quote(t) for t in tokens] + [quote(p) + ":*" for p in prefixes])
    return f"({words}) | {quote(number)}" if number else words


def _fts5_query(tokens: list[str], prefixes: list[str], number: str) -> str:
    def quote(token: str) -> str:
        return '"' + token.replace('"', '""') + '"'

    words = " AND ".join([quote(t) for t in tokens] + [quote(p) + "*" for p in prefixes])
    return f"({words}) OR {quote(number)}" if number else words


# How many index hits a search takes as an explicit list of ids. Past it the word is common: the
# list is read newest first and filtered by the exact test, which finds a page of matches within a few
# hundred rows — where driving from the index would read and sort every match.
CANDIDATE_CAP = 1000


def _index_hits(tokens: list[str], prefixes: list[str], number: str, *, limit: int) -> list[int] | None:
    """Up to `limit` ids of matters whose tokens hold every term (or the number token): candidates.
    None when the index could not answer within YIMEN_SEARCH_PROBE_TIMEOUT_MS (PostgreSQL).

    A rare word answers in well under a millisecond at any size. PostgreSQL builds the whole bitmap
    of an AND before the LIMIT applies, so two bigrams common each (拖欠工资 → 拖欠 ∧ 工资) cost
    50–100 ms at 1 M. Skipping the probe when the statistics call both common was tried and
    dropped: the estimate (the product of the shares) cannot tell 拖欠工资 from two common words
    that never meet, and walking the list for those reads the whole scope. The budget is the net.
    """
    from django.conf import settings

    from yimen.common.dbbudget import within_statement_budget

    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT rowid FROM cases_casesearch_fts WHERE cases_casesearch_fts MATCH %s LIMIT %s",
                           [_fts5_query(tokens, prefixes, number), limit])
            return [row[0] for row in cursor.fetchall()]
    query = _tsquery(tokens, prefixes, number)

    def probe() -> list[int]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT case_id FROM cases_casesearch WHERE document @@ %s::tsquery LIMIT %s", [query, limit])
            return [row[0] for row in cursor.fetchall()]

    return within_statement_budget(getattr(settings, "YIMEN_SEARCH_PROBE_TIMEOUT_MS", 1000), probe)


def case_exact_text_q(text: str) -> Q:
    """What a user means by "the matter contains this text": the number exactly, or a substring of
    the title, description, request, address, or a party's name or address (ASCII case ignored)."""
    from .models import Party

    # The second condition on the matter (redundant with the first) keeps the EXISTS correlated
    # beyond an equality: PostgreSQL then probes the matter's parties through their index row by
    # row, instead of hashing the whole party table once (a sequential scan of every party).
    in_parties = Party.objects.filter(case=OuterRef("pk"), case_id__gte=OuterRef("pk")).filter(
        Q(name__icontains=text) | Q(address__icontains=text))
    return (
        Q(number=text) | Q(title__icontains=text) | Q(description__icontains=text) | Q(request__icontains=text)
        | Q(address__icontains=text) | Q(Exists(in_parties))
    )


def case_text_q(text: str) -> Q:
    """The list's `text` filter, exact whichever way it runs (one query to the index first):

    1. The index gives at most CANDIDATE_CAP + 1 candidates. Up to the cap, the filter is "one of
       these ids, and passes the exact test": a rare word costs a few index and row look-ups on any
       scope.
    2. Past the cap, or past the index's time budget, the word is common: the exact test alone, on
       the list walked newest first.
    3. A text with no word character (only punctuation, say) has no token: the exact test alone,
       which reads the scope (bounded by selectors.list_time_limit).
    """
    tokens, prefixes = query_terms(text)
    exact = case_exact_text_q(text)
    if not tokens and not prefixes:
        return exact
    number = number_token(text)
    looks_like_number = len(number) > 2 and number.isascii()
    ids = _index_hits(tokens, prefixes, number if looks_like_number else "", limit=CANDIDATE_CAP + 1)
    if ids is None or len(ids) > CANDIDATE_CAP:
        return exact
    return Q(pk__in=ids) & exact
