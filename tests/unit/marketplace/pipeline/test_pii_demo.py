"""PII detection on the demo 12345 hotline bodies (marketplace.demo plants names, mobiles and
resident IDs, and look-alikes: 0838 landlines, masked mobiles, 16-digit order numbers).  The
expected values come from an independent scan: plain bounded regexes plus the demo's own
GB 11643 validator."""

from __future__ import annotations

import re

import pytest

from marketplace.demo import DEFAULT_SEED, generate, is_valid_resident_id
from marketplace.demo.pools import pools
from marketplace.pipeline.names import COMPOUND_SURNAMES, SURNAMES
from marketplace.pipeline.pii import redact_text, scan_text, scan_values

ROWS = 4000
ID_RE = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")
MOBILE_RE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")
# The demo's templates that put a full name after a trigger word (hotline_text.PII_*).
NAME_CONTEXT = re.compile(r"(?:来电人|我是|我叫|本人|联系人：)([\u4e00-\u9fff]{2,4}?)[，（称]")


@pytest.fixture(scope="module")
def bodies() -> list[str]:
    return [row["body"] for row in generate("hotline", ROWS, DEFAULT_SEED).dicts()]


def _independent(body: str) -> tuple[set[str], set[str]]:
    ids = {m[0] for m in ID_RE.finditer(body) if is_valid_resident_id(m[0])}
    return ids, set(MOBILE_RE.findall(body))


def test_every_planted_id_and_mobile_is_found_and_nothing_else(bodies: list[str]) -> None:
    planted_ids = planted_mobiles = 0
    for body in bodies:
        ids, mobiles = _independent(body)
        found = scan_text(body)
        assert {f.value for f in found if f.kind == "resident_id"} == ids, body
        assert {f.value for f in found if f.kind == "mobile"} == mobiles, body
        assert not [f for f in found if f.kind in ("bank_card", "uscc", "email", "plate")], body
        planted_ids += len(ids)
        planted_mobiles += len(mobiles)
    # the generator plants PII in about a third of the bodies
    assert planted_ids > ROWS * 0.05 and planted_mobiles > ROWS * 0.1


def test_redaction_leaves_no_id_mobile_or_landline(bodies: list[str]) -> None:
    for body in bodies:
        redacted = redact_text(body)
        assert _independent(redacted) == (set(), set()), redacted
        assert not re.search(r"0838-[0-9]{7}", redacted)
        assert not scan_text(redacted)


def test_names_after_a_trigger_are_found_and_nothing_else_is_a_name(bodies: list[str]) -> None:
    pool = pools(DEFAULT_SEED)
    known = set(pool.names) | set(pool.surnames)
    expected_total = 0
    for body in bodies:
        names = [f.value for f in scan_text(body) if f.kind == "name"]
        assert set(names) <= known, body  # precision: only planted names or surnames
        for m in NAME_CONTEXT.finditer(body):
            name = m[1]
            if name not in pool.names:
                continue
            surname = name[:2] if name[:2] in COMPOUND_SURNAMES else name[:1]
            listed = surname in SURNAMES or surname in COMPOUND_SURNAMES
            if listed and len(name) - len(surname) <= 2:
                expected_total += 1
                assert name in names, body
    assert expected_total > ROWS * 0.05


def test_column_report_on_the_bodies(bodies: list[str]) -> None:
    report = scan_values(bodies, sample_limit=10)
    assert report.rows == ROWS and report.nulls == 0
    assert report.rows_by_kind["mobile"] == sum(bool(_independent(b)[1]) for b in bodies)
    assert len(report.examples) == 10
    for _kind, example in report.examples:
        assert "*" in example and not MOBILE_RE.search(example) and not ID_RE.search(example)
