"""Search terms for the catalog, identical on SQLite and PostgreSQL because they are computed
here, not by an engine's full-text module (issue 5 §3).

Text is NFKC-normalised and case-folded, then split into runs: runs of CJK ideographs (the
Unified Ideographs block, Extension A and the compatibility block) and runs of other letters
and digits. A document contributes every character unigram and bigram of each CJK run and
every other run as a word (cut to :data:`MAX_TERM` characters). A query contributes the bigrams
of each CJK run (the character itself for a one-character run) and its words; a document
matches when it holds every query term. So ``停车`` finds ``智慧停车泊位``, ``企业信用`` needs
``企业``, ``业信`` and ``信用``, and English matches whole words, case-insensitively.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUN = re.compile(rf"(?P<cjk>[{CJK}]+)|(?P<word>[^\W_{CJK}]+)")
MAX_TERM = 32
MAX_QUERY_TERMS = 32

#: Field weights: a term scores the heaviest field it occurs in.
WEIGHTS = {"title": 8, "domain": 4, "merchant": 2, "body": 1}


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _runs(text: str) -> Iterator[tuple[bool, str]]:
    for match in _RUN.finditer(normalise(text)):
        yield (True, match["cjk"]) if match["cjk"] else (False, match["word"][:MAX_TERM])


def text_terms(text: str) -> set[str]:
    """Every term a document field containing ``text`` can be found by."""
    terms: set[str] = set()
    for cjk, run in _runs(text):
        if cjk:
            terms.update(run)
            terms.update(run[i:i + 2] for i in range(len(run) - 1))
        else:
            terms.add(run)
    return terms


def document_terms(fields: Iterable[tuple[str, str]]) -> dict[str, int]:
    """``(field, text)`` pairs → term → weight of the heaviest field holding it."""
    weights: dict[str, int] = {}
    for field, text in fields:
        weight = WEIGHTS[field]
        for term in text_terms(text):
            if weights.get(term, 0) < weight:
                weights[term] = weight
    return weights


def query_terms(query: str) -> list[str]:
    """The distinct terms every match must hold, in query order."""
    terms: dict[str, None] = {}
    for cjk, run in _runs(query):
        if cjk and len(run) > 1:
            terms.update(dict.fromkeys(run[i:i + 2] for i in range(len(run) - 1)))
        else:
            terms[run] = None
    return list(terms)
