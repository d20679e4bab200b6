"""The English catalogue (yimen/locale/en/LC_MESSAGES/django.po): compiled and checked in pure Python.

The interface is written in Chinese, so the Chinese text is the message id and only English needs a
catalogue. Extraction uses Django's `makemessages` (it needs GNU gettext, a developer's tool; see
`make messages`). Compiling and checking use Babel (a dev dependency), so that the tests and a
developer without gettext can run them:

* `compile_catalogue()` writes the .mo that Django reads. The .mo is committed, so a fresh clone
  serves English without any tool.
* `catalogue_problems()` lists what would show a user Chinese in the English interface or break a
  page: messages marked in the source but missing from the catalogue, entries without English or
  still fuzzy, placeholders that differ, and a committed .mo that is older than its .po.

Developer tooling only: nothing at run time imports this module.
"""

import gettext as gettext_module
import io
import re
from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent
PO_PATH = PACKAGE_DIR / "locale" / "en" / "LC_MESSAGES" / "django.po"
MO_PATH = PO_PATH.with_suffix(".mo")

# The gettext functions the code calls, with Babel's description of their arguments; `_l` is our
# alias of gettext_lazy (common/management/commands/makemessages.py collects it too).
KEYWORDS = {
    "_": None, "_l": None, "gettext": None, "gettext_lazy": None, "gettext_noop": None,
    "ngettext": (1, 2), "ngettext_lazy": (1, 2),
    "pgettext": ((1, "c"), 2), "pgettext_lazy": ((1, "c"), 2), "npgettext": ((1, "c"), 2, 3),
    "npgettext_lazy": ((1, "c"), 2, 3),
}
# Where makemessages does not look either: tests, migrations (frozen copies of model labels).
_SKIPPED_PARTS = {"tests", "migrations", "__pycache__"}
_PLACEHOLDER = re.compile(r"%\([^)]+\)[sdif]|%[sdif]|%%|\{[A-Za-z_][A-Za-z0-9_]*\}")


@dataclass(frozen=True)
class SourceMessage:
    msgid: str
    context: str | None
    where: str


def _source_files(suffix: str):
    for path in sorted(PACKAGE_DIR.rglob(f"*{suffix}")):
        if not _SKIPPED_PARTS.intersection(path.relative_to(PACKAGE_DIR).parts):
            yield path


def source_messages() -> list[SourceMessage]:
    """Every message marked for translation in yimen/*.py and the templates, as makemessages sees them."""
    from babel.messages.extract import extract
    from django.utils.translation.template import templatize

    found = []
    for suffix in (".py", ".html", ".txt"):
        for path in _source_files(suffix):
            text = path.read_text(encoding="utf-8")
            if suffix != ".py":
                if "{% trans" not in text and "{% blocktrans" not in text:
                    continue
                # Templatized text is Python only in its gettext calls; unindented, the tokenizer
                # reads it without tripping over the template's own indentation.
                text = "\n".join(line.lstrip() for line in templatize(text, origin=str(path)).splitlines())
            for lineno, message, _comments, context in extract("python", io.BytesIO(text.encode("utf-8")), keywords=KEYWORDS):
                msgid = message[0] if isinstance(message, tuple) else message
                if msgid:
                    found.append(SourceMessage(msgid, context, f"{path.relative_to(PACKAGE_DIR.parent)}:{lineno}"))
    return found


def read_catalogue():
    from babel.messages.pofile import read_po

    with PO_PATH.open("rb") as handle:
        return read_po(handle, locale="en", abort_invalid=True)


def compile_catalogue() -> int:
    """Write the .mo from the .po; returns the number of translated messages written."""
    from babel.messages.mofile import write_mo

    catalogue = read_catalogue()
    with MO_PATH.open("wb") as handle:
        write_mo(handle, catalogue, use_fuzzy=False)
    return sum(1 for message in catalogue if message.id and message.string)


def _placeholders(text: str) -> list[str]:
    return sorted(_PLACEHOLDER.findall(text))


def catalogue_problems() -> list[str]:
    """What is wrong with the English catalogue, one line each; [] when it is whole."""
    catalogue = read_catalogue()
    problems = []
    known = {(m.id[0] if isinstance(m.id, tuple) else m.id, m.context) for m in catalogue if m.id}
    for source in source_messages():
        if (source.msgid, source.context) not in known:
            problems.append(f"{source.where}: not in the catalogue (run `make messages`): {source.msgid!r}")
    for message in catalogue:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        label = ids[0][:60]
        if message.fuzzy:
            problems.append(f"fuzzy (check the English, then remove the flag): {label!r}")
        if not all(strings):
            problems.append(f"no English: {label!r}")
            continue
        allowed = {tuple(_placeholders(text)) for text in ids}  # a plural's forms may follow either id
        for english in strings:
            if tuple(_placeholders(english)) not in allowed:
                problems.append(f"placeholders differ: {label!r} → {english[:60]!r}")
    if not MO_PATH.exists() or _compiled() != _expected(catalogue):
        problems.append(f"{MO_PATH.name} is not compiled from the current .po (run `yimen translations compile`)")
    return problems


def _compiled() -> dict:
    with MO_PATH.open("rb") as handle:
        return dict(gettext_module.GNUTranslations(handle)._catalog)


def _expected(catalogue) -> dict:
    """What `compile_catalogue` would write, as Python's gettext reads it back."""
    from babel.messages.mofile import write_mo

    buffer = io.BytesIO()
    write_mo(buffer, catalogue, use_fuzzy=False)
    buffer.seek(0)
    return dict(gettext_module.GNUTranslations(buffer)._catalog)
