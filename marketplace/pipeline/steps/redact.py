"""PII redaction of free text in SQL: ``regexp_replace`` passes per kind (RE2 syntax), each
run only on rows that pass a cheap necessary test of its group (:data:`GROUPS`).

Each pattern is the *shape* of what :mod:`marketplace.pipeline.pii` detects, without its
check-character, scheme-prefix and run-boundary tests (RE2 has no lookaround), so it matches a
superset: a look-alike (an order number, a 20-digit run, a masked name) may be redacted too —
the safe direction — but nothing the Python detectors find can survive.  Passes run in a fixed
order (emails first, so their digits go with them; then the longest numbers) and replace a
match with ``[kind]``, which holds no digit, ``@`` or Han character, so it cannot join two
fragments into a new finding.  Names: a trigger word (我叫, 来电人, 姓名： …) followed by a
listed surname and one or two characters, or a surname and up to two characters before an
honorific (先生/女士/小姐) — see :mod:`marketplace.pipeline.names`.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from marketplace.pipeline.names import COMPOUND_SURNAMES, HONORIFICS, SURNAMES, TRIGGERS
from marketplace.pipeline.pii import _AREA, _PROVINCES, KINDS

from .base import col, fn, select_from
from .sqlfns import s

__all__ = ["GROUPS", "KINDS", "PATTERNS", "redact", "redact_select"]

_SURNAME = "(?:" + "|".join(COMPOUND_SURNAMES) + "|[" + "".join(sorted(SURNAMES)) + "])"
_HAN = r"[\x{4e00}-\x{9fff}]"
# (kind, RE2 pattern, replacement); replacement groups keep the trigger / honorific.
PATTERNS: tuple[tuple[str, str, str], ...] = (
    ("email", r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+", "[email]"),
    ("resident_id", "[0-9]{17}[0-9Xx]", "[resident_id]"),
    ("uscc", "[1-9ANY][1-9][0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}", "[uscc]"),
    ("bank_card", "[0-9]{13,19}|[0-9]{4}(?:[ -][0-9]{4}){2,3}(?:[ -][0-9]{1,4})?", "[bank_card]"),
    ("mobile", r"(?:(?:\+|00)?86[ -]?)?1[3-9][0-9](?:[ -]?[0-9]{4}){2}", "[mobile]"),
    ("landline", rf"(?:\({_AREA}\)|{_AREA})[ -]?[2-9][0-9]{{6,7}}", "[landline]"),
    ("plate", f"[{_PROVINCES}][A-HJ-NP-Z][·・ ]?[A-HJ-NP-Z0-9]{{5,6}}[挂学警]?", "[plate]"),
    ("name", f"({'|'.join(TRIGGERS)})([:：]?[ \t]?){_SURNAME}{_HAN}{{1,2}}", r"\1\2[name]"),
    ("name", f"{_SURNAME}{_HAN}{{0,2}}({'|'.join(HONORIFICS)})", r"[name]\1"),
)


def _passes(value: exp.Expression, patterns: tuple[tuple[str, str, str], ...],
            kinds: tuple[str, ...]) -> exp.Expression:
    for kind, pattern, replacement in patterns:
        if kind in kinds:
            value = fn("regexp_replace", value, s(pattern), s(replacement), s("g"))
    return value


def redact(value: exp.Expression, kinds: tuple[str, ...] = KINDS) -> exp.Expression:
    """``value`` with every candidate of ``kinds`` replaced by ``[kind]`` (every pass on
    every row; :func:`redact_select` is the gated, faster form)."""
    return _passes(value, PATTERNS, kinds)


def _regexp(pattern: str) -> Callable[[exp.Expression], exp.Expression]:
    return lambda v: fn("regexp_matches", v, s(pattern))


# Each pass costs about as much as a cheap test, so passes run only on rows whose ORIGINAL text
# passes the test of their group; the test is a necessary condition for any match of the
# group's patterns (every numeric pattern holds 7 digits in a row or 4 + separator + 4), and a
# replacement never creates a new match (labels hold no digit, '@', upper case or Han).
GROUPS: tuple[tuple[Callable[[exp.Expression], exp.Expression], tuple[int, ...]], ...] = (
    (lambda v: fn("contains", v, s("@")), (0,)),
    (_regexp("[0-9]{7}|[0-9]{4}[ -][0-9]{4}"), (1, 2, 3, 4, 5)),
    (_regexp(f"[{_PROVINCES}][A-HJ-NP-Z]"), (6,)),
    (_regexp("|".join(TRIGGERS)), (7,)),
    (_regexp("|".join(HONORIFICS)), (8,)),
)


def redact_select(source: str, names: tuple[str, ...], columns: tuple[str, ...],
                  kinds: tuple[str, ...] = KINDS) -> exp.Select:
    """``SELECT`` of ``names`` from ``source`` with ``columns`` redacted: one layer computes
    every group's test on the original text, then one layer per group applies its passes."""
    groups = [(gate, tuple(PATTERNS[i] for i in idx)) for gate, idx in GROUPS
              if any(PATTERNS[i][0] in kinds for i in idx)]
    taken = {n.casefold() for n in names}
    flags: dict[tuple[str, int], str] = {}
    for c in columns:
        for g in range(len(groups)):
            name = f"elx_gate_{len(flags)}"
            while name.casefold() in taken:
                name = "_" + name
            flags[c, g] = name
    query = select_from(source, [col(n) for n in names] + [
        exp.alias_(groups[g][0](col(c)), flag, quoted=True) for (c, g), flag in flags.items()])
    for g, (_, patterns) in enumerate(groups):
        items: list[exp.Expression] = [
            exp.alias_(exp.Case(ifs=[exp.If(this=col(flags[n, g]), true=_passes(
                col(n), patterns, kinds))], default=col(n)), n, quoted=True, copy=False)
            if n in columns else col(n) for n in names]
        items += [col(flag) for (_, h), flag in flags.items() if h > g]
        query = exp.select(*items).from_(query.subquery(f"redact_{g}", copy=False), copy=False)
    return query
