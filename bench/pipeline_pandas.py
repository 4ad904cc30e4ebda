"""Implementation (c) of ``pipeline_bench.py``: the elx benchmark pipeline written in plain
pandas (pyarrow-backed ``str`` columns, pandas' default), step for step what (a) computes.

1. ``read_csv``; 2. :func:`redact` the note (the regex passes of :mod:`bench.pandas_pii`);
3. :func:`mask` name (first 1) and mobile (first 3, last 4); 4. HMAC-SHA256 hex of the resident
ID (``.map``; pandas has no HMAC); 5. :func:`age_band` (width 10) and ``strftime("%Y-%m")``;
6. ``to_parquet`` (ZSTD); 7. :func:`profile` — what elx's GB/T 36344 profile computes under
default rules (per column nulls, blank texts, distinct values and completeness; complete rows;
duplicate rows; scores weighted as elx's); 8. :func:`scan` — every text column for every kind,
check characters validated (``str.contains`` prefilter, then ``.map`` of
:func:`~bench.pandas_pii.find_pii`).

Plain versions where elx does something pandas has no natural form for: distinct counts are
always exact (``nunique``; elx estimates them with HyperLogLog above 1M rows), duplicate rows are
``DataFrame.duplicated`` (elx groups 8-byte row hashes), and the profile and scan read the frame
in memory rather than the written file.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections import Counter
from itertools import pairwise
from pathlib import Path
from typing import Any

import pandas as pd

from bench.pandas_pii import KINDS, PREFILTER, REDACT_PASSES, find_pii
from marketplace.pipeline.quality_rules import DEFAULT_WEIGHTS

__all__ = ["age_band", "mask", "pandas_outputs", "profile", "redact", "scan"]

BLANK = "[\t\n\f\r \u3000]*"  # elx: empty, or only these characters


def redact(note: pd.Series) -> pd.Series:
    """Each shape replaced by its ``[kind]`` label, one ``str.replace`` per pattern, run on
    the texts that pass its group's test (as elx does: most notes hold no number)."""
    note = note.copy()
    for test, passes in REDACT_PASSES:
        rows = note.str.contains(test, regex=True, na=False)
        part = note[rows]
        for pattern, label in passes:
            part = part.str.replace(pattern, label, regex=True)
        note[rows] = part
    return note


def _mask_one(v: str, first: int, last: int, char: str) -> str:
    last = max(0, min(last, len(v) - 1 - first))
    first = max(0, min(first, len(v) - 1 - last))
    return v[:first] + char * (len(v) - first - last) + v[len(v) - last:]


def mask(s: pd.Series, first: int, last: int, char: str = "*") -> pd.Series:
    """Keep the first ``first`` and last ``last`` characters; like elx, at least one character is
    masked (short values, done one by one, keep fewer)."""
    middle = s.str.slice(first, -last or None).str.replace("(?s).", char, regex=True)
    out = s.str.slice(0, first) + middle + (s.str.slice(-last) if last else "")
    short = s.str.len() <= first + last
    if short.any():
        out[short] = s[short].map(lambda v: _mask_one(v, first, last, char))
    return out


def keyed_hash(s: pd.Series, secret: bytes) -> pd.Series:
    return s.map(lambda v: hmac.new(secret, v.encode(), hashlib.sha256).hexdigest(),
                 na_action="ignore")


def age_band(age: pd.Series, width: int) -> pd.Series:
    """``"20-29"``; negative ages become null, as in elx."""
    low = (age // width * width).astype("Int64")
    band = low.astype("str") + "-" + (low + width - 1).astype("str")
    return band.where((low >= 0).fillna(False))


def _score(n: int, failures: int) -> float | None:
    return None if n == 0 else 100.0 * (n - failures) / n


def _weighted(scores: dict[str, float | None]) -> float | None:
    used = [(s, w) for d, w in DEFAULT_WEIGHTS if (s := scores.get(d)) is not None and w > 0]
    total = sum(w for _, w in used)
    return round(sum(s * w for s, w in used) / total, 2) if total else None


def _masked(v: str) -> str:
    out = _mask_one(v, min(3, len(v) // 4), min(2, len(v) // 6), "*")
    return out if len(out) <= 48 else out[:47] + "…"


def profile(df: pd.DataFrame, examples: int = 5) -> dict[str, Any]:
    """Rows, per-column nulls/blanks/distinct, the completeness and duplicate-row checks with
    their scores, and the element score (elx's default weights)."""
    rows, complete = len(df), pd.Series(True, index=df.index)
    columns, checks = [], []
    for c in df.columns:
        s = df[c]
        null = s.isna()
        blank = s.str.fullmatch(BLANK) if pd.api.types.is_string_dtype(s) else null & False
        present = ~(null | blank.fillna(False))
        complete &= present
        nulls, failures = int(null.sum()), rows - int(present.sum())
        score = _score(rows, failures)
        columns.append({"name": c, "rows": rows, "nulls": nulls, "blanks": failures - nulls,
                        "distinct": int(s.nunique()),
                        "score": None if score is None else round(score, 2)})
        checks.append({"id": f"completeness.{c}", "dimension": "completeness", "n": rows,
                       "failures": failures, "examples": []})
    checks.append({"id": "completeness.row", "dimension": "completeness", "n": rows,
                   "failures": rows - int(complete.sum()), "examples": []})
    duplicated = df.duplicated()
    shown = []
    if duplicated.any():
        firsts = df.loc[df.duplicated(keep=False), list(df.columns[:6])].astype("str")
        for row in firsts.drop_duplicates().sort_values(list(firsts.columns)).head(examples)\
                .itertuples(index=False):
            shown.append("; ".join(f"{c}={'NULL' if pd.isna(v) else _masked(v)}"
                                   for c, v in zip(firsts.columns, row, strict=True)))
    checks.append({"id": "uniqueness.duplicate_rows", "dimension": "uniqueness", "n": rows,
                   "failures": int(duplicated.sum()), "examples": shown})
    for check in checks:
        score = _score(check["n"], check["failures"])
        check["score"] = None if score is None else round(score, 2)
    dims: dict[str, list[float]] = {}
    for check in checks:
        if (score := _score(check["n"], check["failures"])) is not None:
            dims.setdefault(check["dimension"], []).append(score)
    means = {d: sum(v) / len(v) for d, v in dims.items()}
    return {"rows": rows, "score": _weighted(means),
            "dimensions": {d: round(v, 2) for d, v in means.items()},
            "columns": columns, "checks": checks}


def _example(kind: str, value: str) -> str:
    if kind == "name":
        return _mask_one(value, 1, 0, "*")
    if kind == "email":
        local, _, domain = value.partition("@")
        return _mask_one(local, 1, 0, "*") + "@" + domain
    return _mask_one(value, 3, 2, "*")


def scan(df: pd.DataFrame, examples: int = 5) -> dict[str, dict[str, Any]]:
    """Per text column: rows, nulls, rows with findings, kinds, counts, masked examples."""
    out = {}
    for c in df.columns:
        s = df[c]
        if not pd.api.types.is_string_dtype(s):
            continue
        candidates = s[s.str.contains(PREFILTER, regex=True, na=False)]
        found = candidates.map(find_pii).tolist()
        counts = Counter(kind for row in found for kind, _, _ in row)
        shown = [(k, _example(k, text[a:b])) for text, row in zip(candidates, found, strict=True)
                 for k, a, b in row][:examples]
        out[c] = {"rows": len(s), "nulls": int(s.isna().sum()),
                  "rows_with_hits": sum(bool(row) for row in found),
                  "kinds": [k for k in KINDS if counts[k]], "counts": dict(counts),
                  "examples": [list(e) for e in shown]}
    return out


def pandas_outputs(csv: Path, out: Path, secret: bytes) -> tuple[
        dict[str, Any], dict[str, dict[str, Any]], dict[str, float]]:
    """Read, transform, write ``out`` (Parquet, ZSTD), then profile and scan the frame; also
    the wall seconds of each part."""
    marks = [time.perf_counter()]
    df = pd.read_csv(csv, dtype={"name": "str", "resident_id": "str", "mobile": "str",
                                 "note": "str"}, parse_dates=["signup_day"],
                     date_format="%Y-%m-%d")
    marks.append(time.perf_counter())
    df["note"] = redact(df["note"])
    df["name"] = mask(df["name"], 1, 0)
    df["mobile"] = mask(df["mobile"], 3, 4)
    df["resident_id"] = keyed_hash(df["resident_id"], secret)
    df["age"] = age_band(df["age"], 10)
    df["signup_day"] = df["signup_day"].dt.strftime("%Y-%m")
    marks.append(time.perf_counter())
    df.to_parquet(out, compression="zstd", index=False)
    marks.append(time.perf_counter())
    report = profile(df)
    marks.append(time.perf_counter())
    pii = scan(df)
    marks.append(time.perf_counter())
    parts = ("t_read", "t_transform", "t_write", "t_quality", "t_scan")
    spans = (b - a for a, b in pairwise(marks))
    return report, pii, dict(zip(parts, spans, strict=True))
