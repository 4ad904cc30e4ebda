"""SQL fragments (DuckDB) for the quality profile: identifier quoting, type families, blank
tests, timestamps, and semantic-type conformity computed entirely in SQL.

Check characters are computed in SQL with the fixed weights of the standards, so every row is
checked (no sampling, no Python UDF — those need numpy, which is not installed):

* GB 11643-1999 §5.4 resident ID: ISO 7064 MOD 11-2, ``Wi = 2^(18-i) mod 11``, check
  character ``"10X98765432"[Σ ai·Wi mod 11]``; plus a GB/T 2260 province prefix and a calendar
  birth date in 1800-2099 — the same acceptance as :func:`.checksums.is_valid_resident_id`.
* GB 32100-2015 §4.5 USCC: ``Wi = 3^(i-1) mod 31`` over the 31-character set, check character
  ``31 - (Σ Ci·Wi mod 31)`` (31 → 0) — the same as :func:`.checksums.is_valid_uscc`.

Nothing here interpolates data: values from rules travel as query parameters.
"""

from __future__ import annotations

import re

__all__ = [
    "PROVINCES", "RESERVED", "USCC_CHARSET", "blank", "family", "ident", "present",
    "semantic_helper", "semantic_ok", "text", "timestamp",
]

RESERVED = "__elx_"  # prefix of the profiler's own column aliases
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_ID_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
# GB/T 2260 province-level codes, with 71 Taiwan, 81/82 Hong Kong/Macao and 83 (residence
# permits for Taiwan residents).
PROVINCES = ("11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35",
             "36", "37", "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54",
             "61", "62", "63", "64", "65", "71", "81", "82", "83")
_FAMILIES = (
    (re.compile(r"(VARCHAR|TEXT|STRING|CHAR|BPCHAR)(\(\d+\))?"), "string"),
    (re.compile(r"U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)|INT[1248]?|LONG|SHORT"), "integer"),
    (re.compile(r"DOUBLE|FLOAT[48]?|REAL"), "float"),
    (re.compile(r"(DECIMAL|NUMERIC)(\(\d+(,\s*\d+)?\))?"), "decimal"),
    (re.compile(r"DATE"), "date"),
    (re.compile(r"TIMESTAMP(_S|_MS|_NS)?|DATETIME"), "timestamp"),
    (re.compile(r"TIMESTAMP WITH TIME ZONE|TIMESTAMPTZ"), "timestamptz"),
    (re.compile(r"BOOL(EAN)?"), "boolean"),
)
_TEXT_RE = {
    "integer": "[+-]?[0-9]+",
    "number": r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?",
    "date": "[0-9]{4}-[0-9]{2}-[0-9]{2}",
    "timestamp": r"[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?",
    "month": "[0-9]{4}-(0[1-9]|1[0-2])",
    "mobile": "1[3-9][0-9]{9}",
    "email": r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}",
}


def ident(name: str) -> str:
    """A double-quoted SQL identifier (embedded quotes doubled)."""
    if "\x00" in name:
        raise ValueError("NUL in a column name")
    return '"' + name.replace('"', '""') + '"'


def family(duckdb_type: str) -> str:
    """string | integer | float | decimal | date | timestamp | timestamptz | boolean | other."""
    t = " ".join(duckdb_type.upper().split())
    return next((fam for pattern, fam in _FAMILIES if pattern.fullmatch(t)), "other")


def text(q: str, fam: str) -> str:
    """``q`` as VARCHAR."""
    return q if fam == "string" else f"CAST({q} AS VARCHAR)"


BLANK_CODEPOINTS = (9, 10, 12, 13, 32, 0x3000)  # \t \n \f \r space, U+3000 ideographic space


def blank(q: str) -> str:
    """True for an empty text or one of spaces, tabs, line breaks and U+3000 only, NULL for
    NULL. The RE2 test (several times faster than DuckDB's ``trim(s, characters)``) runs only
    on texts that are empty or start with such a character (``ascii`` is the first code point),
    as any blank text does: a regex call costs ~0.2 µs even on one character."""
    first = ", ".join(map(str, BLANK_CODEPOINTS))
    return (f"CASE WHEN {q} = '' OR ascii({q}) IN ({first}) THEN regexp_full_match({q}, "
            f"'[\\t\\n\\f\\r \\x{{3000}}]*') WHEN {q} IS NOT NULL THEN false END")


def present(q: str, blank_alias: str | None) -> str:
    """Non-null and, for a text with its :func:`blank` test in ``blank_alias``, non-blank."""
    return f"({q} IS NOT NULL AND NOT {blank_alias})" if blank_alias else f"({q} IS NOT NULL)"


def timestamp(q: str, fam: str) -> str | None:
    """``q`` as a TIMESTAMP (TIMESTAMPTZ in UTC; text ISO or ``YYYY-MM``), None if impossible."""
    if fam in ("date", "timestamp"):
        return f"CAST({q} AS TIMESTAMP)"
    if fam == "timestamptz":
        return f"timezone('UTC', {q})"
    if fam == "string":
        return f"coalesce(TRY_CAST({q} AS TIMESTAMP), try_strptime({q}, '%Y-%m'))"
    return None


def _resident_id(s: str, n: str) -> str:
    # n = the first 17 characters as a BIGINT (see semantic_helper): digit i is n // 10^(17-i)
    # % 10 — integer arithmetic is 2-4× faster in DuckDB than 17 substr() calls and a date cast.
    total = " + ".join(f"({n} // {10 ** (16 - i)} % 10) * {w}" for i, w in enumerate(_ID_WEIGHTS))
    y, m, d = f"({n} // 10000000 % 10000)", f"({n} // 100000 % 100)", f"({n} // 1000 % 100)"
    leap = f"({y} % 4 = 0 AND ({y} % 100 <> 0 OR {y} % 400 = 0))"
    days = f"CASE WHEN {m} = 2 THEN 28 + CAST({leap} AS INTEGER) ELSE 30 + ({m} + {m} // 8) % 2 END"
    provinces = ", ".join(f"'{p}'" for p in PROVINCES)
    return (f"(regexp_full_match({s}, '[0-9]{{17}}[0-9Xx]') AND substr({s}, 1, 2) IN "
            f"({provinces}) AND {y} BETWEEN 1800 AND 2099 AND {m} BETWEEN 1 AND 12 AND "
            f"{d} BETWEEN 1 AND {days} AND "
            f"substr('10X98765432', ({total}) % 11 + 1, 1) = upper(substr({s}, 18, 1)))")


def _uscc(s: str) -> str:
    total = " + ".join(f"(instr('{USCC_CHARSET}', substr({s}, {i + 1}, 1)) - 1) * {w}"
                       for i, w in enumerate(_USCC_WEIGHTS))
    return (f"(regexp_full_match({s}, '[0-9A-HJ-NPQRTUWXY]{{2}}[0-9]{{6}}"
            f"[0-9A-HJ-NPQRTUWXY]{{10}}') AND substr('{USCC_CHARSET}', "
            f"(31 - ({total}) % 31) % 31 + 1, 1) = substr({s}, 18, 1))")


def _matches(s: str, semantic: str) -> str:
    return f"regexp_full_match({s}, '{_TEXT_RE[semantic]}')"


def semantic_helper(q: str, fam: str, semantic: str) -> str | None:
    """SQL that :func:`semantic_ok` wants computed once per row, in a projection below it
    (DuckDB does not share a repeated sub-expression of one projection)."""
    if semantic == "resident_id":
        return f"TRY_CAST(substr({text(q, fam)}, 1, 17) AS BIGINT)"
    return None


def semantic_ok(q: str, fam: str, semantic: str, helper: str = "") -> str:
    """True when the (present) value of column ``q`` conforms to ``semantic``; ``helper`` names
    the column holding :func:`semantic_helper`'s value, when it has one."""
    s = text(q, fam)
    if semantic == "resident_id":
        return _resident_id(s, helper or f"({semantic_helper(q, fam, semantic)})")
    if semantic == "uscc":
        return _uscc(s)
    if semantic in ("integer", "number"):
        if fam == "float":
            finite = f"isfinite({q})"
            return f"({finite} AND {q} = trunc({q}))" if semantic == "integer" else finite
        if fam == "decimal":
            return f"({q} = trunc({q}))" if semantic == "integer" else "true"
        if fam == "integer":
            return "true"
    if semantic in ("date", "timestamp", "month"):
        if fam in ("date", "timestamp", "timestamptz"):
            return "true"
        cast = "" if semantic == "month" else (
            f" AND TRY_CAST({s} AS {'DATE' if semantic == 'date' else 'TIMESTAMP'}) IS NOT NULL")
        return f"({_matches(s, semantic)} AND substr({s}, 1, 4) <> '0000'{cast})"
    if fam != "string" and semantic in ("integer", "number"):
        return "false"
    return _matches(s, semantic)
