"""Catalog terms (marketplace.listings.text): known answers for Chinese, English and mixed
text, and the guarantee the catalog rests on — any run of ideographs cut out of a field finds
that field, and so does any whole word, whatever the case or width."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from marketplace.listings.text import MAX_TERM, document_terms, query_terms, text_terms

HAN = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)


def test_chinese_text_gives_unigrams_and_bigrams() -> None:
    assert text_terms("停车场") == {"停", "车", "场", "停车", "车场"}
    assert query_terms("停车场") == ["停车", "车场"]
    assert query_terms("车") == ["车"]
    assert query_terms("企业信用") == ["企业", "业信", "信用"]


def test_words_are_case_and_width_folded_and_split_from_ideographs() -> None:
    assert text_terms("12345热线 Parking-Lot") == {"12345", "热", "线", "热线", "parking", "lot"}
    assert query_terms("ＰＡＲＫＩＮＧ  lot") == ["parking", "lot"]
    assert query_terms("!!! ，。") == []
    assert query_terms("停车 停车 park") == ["停车", "park"]
    assert text_terms("x" * 50) == {"x" * MAX_TERM}


def test_a_term_scores_its_heaviest_field() -> None:
    weights = document_terms([("body", "停车 data"), ("title", "停车"), ("merchant", "data")])
    assert weights == {"停": 8, "车": 8, "停车": 8, "data": 2}


@given(st.text(HAN, min_size=1, max_size=30), st.data())
def test_any_run_of_ideographs_cut_from_a_text_finds_it(text: str, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    assert set(query_terms(text[start:end])) <= text_terms(text)


@given(st.lists(st.from_regex(r"[A-Za-z0-9]{1,12}", fullmatch=True) | st.text(HAN, min_size=1,
                                                                            max_size=5),
                min_size=1, max_size=8), st.data())
def test_any_whole_word_finds_its_text(parts: list[str], data: st.DataObject) -> None:
    text = " ".join(parts)
    word = data.draw(st.sampled_from([p for p in parts if re.fullmatch(r"\w+", p)]))
    assert set(query_terms(word.upper())) <= text_terms(text)
