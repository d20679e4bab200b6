"""Importer for regulations and local rules written one article per line as "第X条 …".

The layout is the one centres receive from their legislative offices: an optional `# Title`, chapter
headings (`## 第一章 总则` or a bare `第一章 总则` line), articles starting with "第X条", and further
paragraphs of an article on the following lines until the next article or heading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import cn2an

from yimen.triage.legal import Article
from yimen.triage.normalize import normalize_text

_ARTICLE = re.compile(r"^\s*第([零〇一二两三四五六七八九十百千]+|\d+)条(?:之([一二三四五六七八九十]+))?[\s　:：]*(.*)$")
_CHAPTER = re.compile(r"^\s*(?:#+\s*)?(第[零〇一二三四五六七八九十百千\d]+[编章节]\s*.*)$")
_HEADING = re.compile(r"^\s*#+\s*(.*)$")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_DATE_SUFFIX = re.compile(r"[（(](\d{4}-\d{2}-\d{2})[)）]$")


class StatuteFormatError(ValueError):
    """The file is not a statute in the expected layout; the message is for the user, in Chinese."""


@dataclass
class ParsedStatute:
    title: str
    articles: list[Article] = field(default_factory=list)
    effective_date: str = ""


def _article_number(raw: str) -> int:
    return int(raw) if raw.isdigit() else int(cn2an.cn2an(raw, "smart"))


def parse_statute(text: str, *, title: str = "", effective_date: str = "") -> ParsedStatute:
    text = _COMMENT.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    chapter = ""
    parsed_title = title
    articles: list[dict] = []
    for line in text.split("\n"):
        stripped = line.strip()
        if not stripped:
            continue
        m = _ARTICLE.match(stripped)
        if m:
            number = _article_number(m.group(1))
            label = f"第{m.group(1)}条" + (f"之{m.group(2)}" if m.group(2) else "")
            articles.append({"number": number, "label": label, "chapter": chapter, "lines": [m.group(3).strip()]})
            continue
        c = _CHAPTER.match(stripped)
        if c and len(stripped) <= 60:
            heading = re.sub(r"\s+", " ", c.group(1).replace("\u3000", " ")).strip()
            if "节" in heading.split(" ")[0] and chapter:
                chapter = f"{chapter.split(' / ')[0]} / {heading}"
            else:
                chapter = heading
            continue
        h = _HEADING.match(stripped)
        if h:
            if not parsed_title and not articles:
                parsed_title = h.group(1).strip()
            continue
        if articles:
            articles[-1]["lines"].append(stripped)
        elif not parsed_title:
            parsed_title = stripped
    if not parsed_title:
        raise StatuteFormatError("无法识别法规名称：请在文件第一行写“# 法规名称”")
    if not articles:
        raise StatuteFormatError(f"《{parsed_title}》中没有找到“第X条”格式的条文")
    seen: set[tuple[int, str]] = set()
    out: list[Article] = []
    for a in articles:
        key = (a["number"], a["label"])
        if key in seen:
            raise StatuteFormatError(f"《{parsed_title}》的{a['label']}出现了两次，请检查文件")
        seen.add(key)
        body = "\n".join(line for line in a["lines"] if line)
        out.append(Article(law=parsed_title, number=a["number"], label=a["label"], text=body, chapter=a["chapter"], source="local"))
    return ParsedStatute(title=parsed_title, articles=out, effective_date=effective_date)


def read_statute_file(path: str | Path) -> ParsedStatute:
    path = Path(path)
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise StatuteFormatError(f"无法识别文件“{path.name}”的编码，请另存为 UTF-8 编码")
    stem = path.stem
    date = ""
    m = _DATE_SUFFIX.search(stem)
    if m:
        date = m.group(1)
        stem = stem[: m.start()]
    parsed = parse_statute(normalize_text_keep_lines(text), title="", effective_date=date)
    if not parsed.title:
        parsed.title = stem
    return parsed


def normalize_text_keep_lines(text: str) -> str:
    """Normalise each line (traditional → simplified, full-width → half-width) but keep the lines."""
    return "\n".join(normalize_text(line) for line in text.split("\n"))


# -- database service -----------------------------------------------------------------------------


def statute_import(*, path: str | Path, kind: str = "regulation", region_code: str = "", title: str = ""):
    """Import (or replace) one statute file into the library and return the Statute row.

    1. Parse the file; a format error stops before anything is written.
    2. In one transaction, replace the statute of the same title and write its articles.
    3. After commit, drop the cached statute index so the next search sees the new articles.
    """
    from django.db import transaction

    from yimen.triage import legal
    from yimen.triage.models import Statute, StatuteArticle

    parsed = read_statute_file(path)
    if title:
        parsed.title = title
    with transaction.atomic():
        statute, _ = Statute.objects.update_or_create(
            title=parsed.title,
            defaults={
                "kind": kind,
                "region_code": region_code,
                "source_file": Path(path).name,
                "effective_date": parsed.effective_date or None,
                "is_active": True,
            },
        )
        statute.articles.all().delete()
        StatuteArticle.objects.bulk_create(
            StatuteArticle(statute=statute, number=a.number, label=a.label, chapter=a.chapter, text=a.text) for a in parsed.articles
        )
        transaction.on_commit(legal.invalidate)
    return statute


# -- the regulations shipped with Yimen (data/statutes/) -----------------------------------------

SHIPPED_DIR = Path(__file__).resolve().parent / "data" / "statutes"


@dataclass(frozen=True)
class ShippedStatute:
    parsed: ParsedStatute
    file: str
    kind: str
    region_code: str
    active: bool


def shipped_statutes(directory: Path = SHIPPED_DIR) -> list[ShippedStatute]:
    """The regulations Yimen ships as statute data, parsed, with the kind and region of `statutes.json`."""
    import json

    manifest = json.loads((directory / "statutes.json").read_text(encoding="utf-8"))
    return [
        ShippedStatute(
            read_statute_file(directory / entry["file"]),
            entry["file"],
            entry["kind"],
            entry.get("region_code", ""),
            entry.get("active", True),
        )
        for entry in manifest["statutes"]
    ]


def shipped_articles() -> list[Article]:
    """The articles of the shipped regulations that are enabled on day one, for an index built without
    a database (tests, bench)."""
    return [a for s in shipped_statutes() if s.active for a in s.parsed.articles]


def shipped_statutes_load(*, statute_model=None, article_model=None) -> list[str]:
    """Write the shipped regulations into the statute library; returns the titles written.

    A title the library already holds is left alone: a centre's own import (or its decision to
    disable a shipped one) wins. A regional rule comes in disabled: the library does not filter by
    region, so it would otherwise be cited to centres it does not govern. The models are parameters so that a migration can pass its
    historical ones.
    """
    if statute_model is None or article_model is None:
        from yimen.triage.models import Statute, StatuteArticle

        statute_model, article_model = Statute, StatuteArticle
    written = []
    for shipped in shipped_statutes():
        parsed = shipped.parsed
        if statute_model.objects.filter(title=parsed.title).exists():
            continue
        statute = statute_model.objects.create(
            title=parsed.title,
            kind=shipped.kind,
            region_code=shipped.region_code,
            source_file=shipped.file,
            effective_date=parsed.effective_date or None,
            is_active=shipped.active,
        )
        article_model.objects.bulk_create(
            article_model(statute=statute, number=a.number, label=a.label, chapter=a.chapter[:120], text=a.text)
            for a in parsed.articles
        )
        written.append(parsed.title)
    return written
