"""Personal-information detection in free text (issue 4 §3; PI categories of GB/T 35273-2020
附录A): resident IDs (GB 11643-1999), mobiles, landlines, USCCs (GB 32100-2015), bank cards
(Luhn, ISO/IEC 7812), emails, licence plates (GA 36-2018, incl. 8-character new-energy
plates) and personal names (in context, see :mod:`.names`).

Digits are ASCII (full-width text is normalised by an earlier pipeline step).  A number is a
finding only when its run is not part of a longer letter/digit run, so a resident ID inside a
20-digit run, or a mobile inside an ID, is nothing.  Bank cards need Luhn *and* a scheme prefix
and length, and are skipped when labelled as another number (订单号, 流水号, …).  Overlaps are
resolved leftmost-longest, then by :data:`KINDS` order.  Cheap gates skip a detector when the
text cannot hold its kind: numbers are only tried at the start of a maximal ASCII letter/digit
run (one regex pass finds the runs), emails only when there is an ``@``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from .checksums import is_valid_bank_card, is_valid_resident_id, is_valid_uscc_strict
from .desensitise import mask
from .names import HONORIFICS, TRIGGERS, find_names

__all__ = [
    "KINDS", "PREFILTER", "PREFILTER_GLOBS", "ColumnReport", "Finding", "kinds_of_values",
    "masked_example", "redact_text", "redact_values", "register_duckdb", "scan_text", "scan_values",
]

KINDS = ("resident_id", "uscc", "bank_card", "mobile", "landline", "email", "plate", "name")
_R = r"(?![0-9A-Za-z])"  # not followed by an ASCII letter or digit
_RUN = re.compile(r"[0-9A-Za-z]+")  # every number starts at the start of a maximal run
_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_NOT_CARD_LABEL = re.compile(
    r"(?:订单|单|编|流水|工单|发票|合同|批次|序列|运单|快递单|交易)号码?[:：]?\s*$"
)
_AREA = r"(?:010|02[0-9]|0[3-9][0-9]{2})"
_NEW_ENERGY = re.compile(r"[DF][A-HJ-NP-Z0-9][0-9]{4}|[0-9]{5}[DF]")
_CARD = r"[0-9]{13,19}|[0-9]{4}(?:[ -][0-9]{4}){2,3}(?:[ -][0-9]{1,4})?"
# (kind, pattern anchored at a run start or at a "+"/"(" before it, lengths that run can have)
_NUMERIC: tuple[tuple[str, re.Pattern[str], frozenset[int]], ...] = (
    ("resident_id", re.compile(r"[0-9]{17}[0-9Xx]" + _R), frozenset({18})),
    # GB 32100-2015 表2/表3: registration authority 1-9/A/N/Y, category 1-9
    ("uscc", re.compile(r"[1-9ANY][1-9][0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}" + _R), frozenset({18})),
    ("bank_card", re.compile(f"(?:{_CARD})" + _R), frozenset({4, *range(13, 20)})),
    ("mobile", re.compile(r"(?:(?:\+|00)?86[ -]?)?1[3-9][0-9](?:[ -]?[0-9]{4}){2}" + _R),
     frozenset({2, 3, 4, 7, 11, 13, 15})),
    ("landline", re.compile(rf"(?:\({_AREA}\)|{_AREA})[ -]?[2-9][0-9]{{6,7}}" + _R),
     frozenset({3, 4, 10, 11, 12})),
)
_PLATE = re.compile(f"[{_PROVINCES}]" + r"[A-HJ-NP-Z][·・ ]?([A-HJ-NP-Z0-9]{5,6})[挂学警]?" + _R)
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"
)
_RANK = {k: i for i, k in enumerate(KINDS)}
# Matches every text in which scan_text can find something (valid in RE2 and Python ``re``):
# a SQL compiler can send only matching rows to the Python UDFs.
# A number is only ever found as a whole maximal ASCII letter/digit run (``_candidates``) of at
# most 19 characters, and every detectable number has, at such a run start, 7 characters of
# ``[0-9ANY][0-9]{6}`` (a USCC: registration type, category, area code) in a run of at most 19,
# or ``4 digits, space or hyphen, 4 digits``. So hashes, masked numbers and [labels] are not
# sent to Python: a full output scan is otherwise Python-bound.
PREFILTER = "|".join((r"(?:^|[^0-9A-Za-z])(?:[0-9ANY][0-9]{6}[0-9A-Za-z]{0,12}(?:[^0-9A-Za-z]|$)"
                      r"|[0-9]{4}[ -][0-9]{4})", "@",
                      f"[{_PROVINCES}][A-HJ-NP-Z]", *TRIGGERS, *HONORIFICS))
# DuckDB GLOB patterns, one of which every PREFILTER match satisfies (6 digits in a row, or 4 +
# space/hyphen + 4; "@"; a province then a capital; a trigger or honorific word). DuckDB tests
# such a pattern once per dictionary entry of a dictionary-encoded Parquet column, where a
# regex runs once per row, so ``GLOB … AND regexp_matches(PREFILTER)`` selects the same rows.
_D = "[0-9]"
PREFILTER_GLOBS = (f"*{_D * 6}*", f"*{_D * 4} {_D * 4}*", f"*{_D * 4}-{_D * 4}*", "*@*",
                   f"*[{_PROVINCES}][A-HJ-NP-Z]*", *(f"*{w}*" for w in (*TRIGGERS, *HONORIFICS)))


@dataclass(frozen=True, slots=True)
class Finding:
    """One detected item: ``text[start:end] == value``."""

    kind: str
    start: int
    end: int
    value: str


def _valid_plate(serial: str) -> bool:
    if len(serial) == 6:  # GA 36-2018 new-energy: D/F + 5, or 5 + D/F (large vehicles)
        return _NEW_ENERGY.fullmatch(serial) is not None
    return sum(c.isdigit() for c in serial) >= 3  # ordinary plates: at most 2 letters


def _accept(kind: str, m: re.Match[str], text: str) -> bool:
    value = m[0]
    if kind == "resident_id":
        return is_valid_resident_id(value)
    if kind == "uscc":
        return is_valid_uscc_strict(value)
    if kind == "bank_card":
        digits = value.replace(" ", "").replace("-", "")
        return is_valid_bank_card(digits) and not _NOT_CARD_LABEL.search(
            text, max(0, m.start() - 12), m.start()
        )
    if kind == "email":
        return value.rsplit(".", 1)[1].isalpha() and len(value.rsplit(".", 1)[1]) >= 2
    if kind == "plate":
        return _valid_plate(m[1])
    return True


def _alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _candidates(text: str, kinds: frozenset[str]) -> Iterator[Finding]:
    numeric = [entry for entry in _NUMERIC if entry[0] in kinds]
    plates = "plate" in kinds
    for run in _RUN.finditer(text):
        s, token = run.start(), run[0]
        if (
            plates and s and text[s - 1] in _PROVINCES
            and (m := _PLATE.match(text, s - 1)) and _accept("plate", m, text)
        ):
            yield Finding("plate", m.start(), m.end(), m[0])
        n = len(token)
        if n < 2 or not ("0" <= token[0] <= "9" or token[0] in "ANY"):
            continue
        starts = [s]
        if s and text[s - 1] in "+(" and (s < 2 or not _alnum(text[s - 2])):
            starts.insert(0, s - 1)
        for kind, pattern, lengths in numeric:
            if n not in lengths:
                continue
            for start in starts:
                if (m := pattern.match(text, start)) and _accept(kind, m, text):
                    yield Finding(kind, start, m.end(), m[0])
    if "email" in kinds and "@" in text:
        for m in _EMAIL.finditer(text):
            if _accept("email", m, text):
                yield Finding("email", m.start(), m.end(), m[0])
    if "name" in kinds:
        for start, end in find_names(text):
            yield Finding("name", start, end, text[start:end])


def _order(f: Finding) -> tuple[int, int, int]:
    return f.start, f.start - f.end, _RANK[f.kind]


@functools.lru_cache(maxsize=64)
def _wanted(kinds: tuple[str, ...]) -> frozenset[str]:
    if unknown := set(kinds) - set(KINDS):
        raise ValueError(f"unknown PII kinds: {sorted(unknown)}")
    return frozenset(kinds)


def scan_text(text: str, kinds: Iterable[str] = KINDS) -> list[Finding]:
    """Non-overlapping findings in ``text``, in order of position."""
    wanted = _wanted(kinds if isinstance(kinds, tuple) else tuple(kinds))
    found = sorted(_candidates(text, wanted), key=_order)
    kept: list[Finding] = []
    for f in found:
        if not kept or f.start >= kept[-1].end:
            kept.append(f)
    return kept


def _label(f: Finding) -> str:
    return "[" + f.kind + "]"


def redact_text(
    text: str, replacement: Callable[[Finding], str] = _label, kinds: Iterable[str] = KINDS
) -> str:
    """``text`` with every finding replaced by ``replacement(finding)`` (default ``[kind]``)."""
    out, pos = [], 0
    for f in scan_text(text, kinds):
        out += (text[pos : f.start], replacement(f))
        pos = f.end
    return "".join(out) + text[pos:] if out else text


def masked_example(f: Finding) -> str:
    """A finding's value masked for reports: names keep the surname, the rest 3 + 2."""
    if f.kind == "name":
        return mask(f.value, 1, 0) or ""
    if f.kind == "email":
        local, _, domain = f.value.partition("@")
        return (mask(local, 1, 0) or "") + "@" + domain
    return mask(f.value, 3, 2) or ""


@dataclass(frozen=True)
class ColumnReport:
    """PII found in one column: ``counts`` findings per kind, ``rows_by_kind`` rows with at
    least one finding of that kind, ``examples`` (kind, masked value) in order of appearance."""

    rows: int
    nulls: int
    rows_with_hits: int
    counts: dict[str, int] = field(default_factory=dict)
    rows_by_kind: dict[str, int] = field(default_factory=dict)
    examples: tuple[tuple[str, str], ...] = ()

    @property
    def kinds(self) -> tuple[str, ...]:
        """Kinds found, in :data:`KINDS` order."""
        return tuple(k for k in KINDS if self.counts.get(k))


def scan_values(
    values: Iterable[str | None], sample_limit: int = 5, kinds: Iterable[str] = KINDS
) -> ColumnReport:
    """Scan a column; keeps at most ``sample_limit`` masked examples (none are unmasked)."""
    kinds = tuple(kinds)
    rows = nulls = hits = 0
    counts: dict[str, int] = {}
    by_kind: dict[str, int] = {}
    examples: list[tuple[str, str]] = []
    for value in values:
        rows += 1
        if value is None:
            nulls += 1
            continue
        found = scan_text(str(value), kinds)
        hits += bool(found)
        for f in found:
            counts[f.kind] = counts.get(f.kind, 0) + 1
            if len(examples) < sample_limit:
                examples.append((f.kind, masked_example(f)))
        for kind in {f.kind for f in found}:
            by_kind[kind] = by_kind.get(kind, 0) + 1
    return ColumnReport(rows, nulls, hits, counts, by_kind, tuple(examples))


# Column-at-a-time helpers.  pyarrow is not a dependency, so these take and return plain
# Python lists (DuckDB hands native Python UDFs one value at a time, NULLs skipped).


def redact_values(values: Iterable[str | None], kinds: Iterable[str] = KINDS) -> list[str | None]:
    """:func:`redact_text` over a column; ``None`` stays ``None``."""
    kinds = tuple(kinds)
    return [None if v is None else redact_text(v, kinds=kinds) for v in values]


def kinds_of_values(values: Iterable[str | None], kinds: Iterable[str] = KINDS) -> list[str | None]:
    """Per value, the comma-joined kinds found (in :data:`KINDS` order), or ``None``."""
    kinds = tuple(kinds)
    out: list[str | None] = []
    for v in values:
        found = {f.kind for f in scan_text(v, kinds)} if v is not None else set()
        out.append(",".join(k for k in KINDS if k in found) or None)
    return out


def register_duckdb(con: object, prefix: str = "pii_") -> None:
    """Register ``{prefix}redact(VARCHAR)`` and ``{prefix}kinds(VARCHAR)`` as native scalar
    Python UDFs on a DuckDB connection (DuckDB 2.0's ``create_function`` needs numpy)."""
    create = con.create_function  # type: ignore[attr-defined]
    create(prefix + "redact", lambda v: redact_text(v), ["VARCHAR"], "VARCHAR")
    create(prefix + "kinds", lambda v: kinds_of_values([v])[0], ["VARCHAR"], "VARCHAR")
