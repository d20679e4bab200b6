"""The English catalogue is whole, and the check that says so catches what would show a user Chinese
in the English interface or break a page."""

import pytest

from yimen.common import catalogue

HEADER = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n\n'


def test_the_english_catalogue_is_whole_and_compiled():
    problems = catalogue.catalogue_problems()
    assert not problems, "\n".join(problems[:40])


@pytest.fixture
def small_catalogue(tmp_path, monkeypatch):
    """Point the checker at a catalogue of our own making."""
    po = tmp_path / "django.po"
    monkeypatch.setattr(catalogue, "PO_PATH", po)
    monkeypatch.setattr(catalogue, "MO_PATH", tmp_path / "django.mo")
    monkeypatch.setattr(catalogue, "source_messages", lambda: [catalogue.SourceMessage("退出", None, "x.html:1")])

    def write(entries: str, *, compile_it: bool = True):
        po.write_text(HEADER + entries, encoding="utf-8")
        if compile_it:
            catalogue.compile_catalogue()

    return write


def test_a_whole_small_catalogue_has_no_problems(small_catalogue):
    small_catalogue('msgid "退出"\nmsgstr "Sign out"\n')
    assert catalogue.catalogue_problems() == []


def test_a_message_without_english_is_reported(small_catalogue):
    small_catalogue('msgid "退出"\nmsgstr ""\n')
    assert catalogue.catalogue_problems() == ["no English: '退出'"]


def test_a_message_marked_in_the_source_but_missing_is_reported(small_catalogue):
    small_catalogue('msgid "登录"\nmsgstr "Sign in"\n')
    assert any("x.html:1: not in the catalogue" in line for line in catalogue.catalogue_problems())


def test_a_lost_placeholder_is_reported(small_catalogue):
    small_catalogue('msgid "退出"\nmsgstr "Sign out"\n\n'
                    '#, python-format\nmsgid "第%(n)d名当事人"\nmsgstr "Party number"\n')
    assert catalogue.catalogue_problems() == ["placeholders differ: '第%(n)d名当事人' → 'Party number'"]


def test_fuzzy_english_is_reported_and_not_served(small_catalogue):
    small_catalogue('#, fuzzy\nmsgid "退出"\nmsgstr "Exit maybe"\n')
    assert "fuzzy (check the English, then remove the flag): '退出'" in catalogue.catalogue_problems()


def test_a_po_edited_after_compiling_is_reported(small_catalogue):
    small_catalogue('msgid "退出"\nmsgstr "Sign out"\n')
    small_catalogue('msgid "退出"\nmsgstr "Log out"\n', compile_it=False)
    assert any("is not compiled from the current .po" in line for line in catalogue.catalogue_problems())
