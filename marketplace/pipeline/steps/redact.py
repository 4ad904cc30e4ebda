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

from sqlglot import exp

from marketplace.pipeline.names import COMPOUND_SURNAMES, HONORIFICS, SURNAMES, TRIGGERS
from marketplace.pipeline.pii import _AREA, _PROVINCES, KINDS

from .base import col, fn, select_from
from .sqlfns import s

__all__ = ["GROUPS", "KINDS", "PATTERNS", "TESTS", "redact", "redact_select"]

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


# A pass costs two to three regex tests (``regexp_replace`` copies the text even when nothing
# matches), so passes run only where a test says they can change something. Each group's test
# runs on the ORIGINAL text and is a necessary condition for any match of the group's patterns
# (every numeric pattern holds 7 digits in a row or 4 + separator + 4; a plate starts with a
# province and a capital; names hold a trigger or an honorific); a replacement never creates a
# new match (labels hold no digit, '@', capital or Han). Within a group of several passes, each
# pass is also skipped where ``regexp_matches`` of its own pattern fails on the current text,
# i.e. where ``regexp_replace`` would return it unchanged. One test per group (its tests joined
# by ``|``), not one per kind: each test is a regex call (~0.2 µs) and a scan of the text.
TESTS: tuple[str, ...] = ("@", "[0-9]{7}|[0-9]{4}[ -][0-9]{4}", f"[{_PROVINCES}][A-HJ-NP-Z]",
                          "|".join(TRIGGERS), "|".join(HONORIFICS))
# (pattern indices, the test of each pattern by index into TESTS)
GROUPS: tuple[tuple[tuple[int, ...], tuple[int, ...]], ...] = (
    ((0,), (0,)),
    ((1, 2, 3, 4, 5), (1, 1, 1, 1, 1)),
    ((6, 7, 8), (2, 3, 4)),
)


def _test(value: exp.Expression, tests: list[str]) -> exp.Expression:
    joined = "|".join(dict.fromkeys(tests))
    if joined.isalnum() or joined == "@":  # a literal: DuckDB's contains, no regex
        return fn("contains", value, s(joined))
    return fn("regexp_matches", value, s(joined))


def _free(name: str, taken: set[str]) -> str:
    while name.casefold() in taken:
        name = "_" + name
    taken.add(name.casefold())
    return name


def _pass(name: str, flag: str, pattern: str, replacement: str, own_test: bool
          ) -> exp.Expression:
    gate: exp.Expression = col(flag)
    if own_test:
        gate = exp.and_(gate, fn("regexp_matches", col(name), s(pattern)), copy=False)
    replaced = fn("regexp_replace", col(name), s(pattern), s(replacement), s("g"))
    return exp.alias_(exp.Case(ifs=[exp.If(this=gate, true=replaced)], default=col(name)),
                      name, quoted=True, copy=False)


def redact_select(source: str, names: tuple[str, ...], columns: tuple[str, ...],
                  kinds: tuple[str, ...] = KINDS) -> exp.Select:
    """``SELECT`` of ``names`` from ``source`` with ``columns`` redacted: one layer computes
    every group's test on the original text, then one layer per pass applies it where its
    group's test (and, in a group of several passes, its own ``regexp_matches``) holds."""
    groups = [[(PATTERNS[i], TESTS[t]) for i, t in zip(idx, tests, strict=True)
               if PATTERNS[i][0] in kinds] for idx, tests in GROUPS]
    groups = [g for g in groups if g]
    taken = {n.casefold() for n in names}
    flags = {(c, g): _free(f"elx_gate_{i}", taken)
             for i, (c, g) in enumerate((c, g) for c in columns for g in range(len(groups)))}
    query = select_from(source, [col(n) for n in names] + [
        exp.alias_(_test(col(c), [t for _, t in groups[g]]), flag, quoted=True)
        for (c, g), flag in flags.items()])
    steps = [(g, p, len(passes) > 1) for g, passes in enumerate(groups) for p, _ in passes]
    for layer, (g, (_, pattern, replacement), own) in enumerate(steps):
        items = [_pass(n, flags[n, g], pattern, replacement, own) if n in columns else col(n)
                 for n in names]
        if layer + 1 < len(steps):  # carry the flags still needed
            items += [col(f) for (_, h), f in flags.items() if h >= steps[layer + 1][0]]
        query = exp.select(*items).from_(query.subquery(f"redact_{layer}", copy=False),
                                         copy=False)
    return query
