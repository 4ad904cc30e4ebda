"""What the handler checks on a pipeline OUTPUT before publishing (issue 4 §3–4).

PII: every text (VARCHAR) column of the output Parquet is scanned on ALL rows. DuckDB streams
the column and sends only values matching :data:`~marketplace.pipeline.pii.PREFILTER` (a regex
every detectable value matches) to :func:`~marketplace.pipeline.pii.scan_values` in batches, so
memory stays bounded; row and null counts come from DuckDB. In a column that is
dictionary-encoded in every row group, the regex runs only on values that also match one of
:data:`~marketplace.pipeline.pii.PREFILTER_GLOBS` (which every PREFILTER match does): DuckDB
tests those GLOBs once per dictionary entry, not once per row. Direct identifiers
(:data:`DIRECT_IDENTIFIERS`, GB/T 35273-2020 附录A personal information; a USCC identifies an
organisation, so it is reported but not blocking) in a column the spec does not declare as
licensed personal data make the element unpublishable: :class:`ValidationFailed` (422).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import duckdb

from marketplace.errors import ValidationFailed
from marketplace.pipeline.pii import PREFILTER, PREFILTER_GLOBS, scan_values
from marketplace.pipeline.quality import profile
from marketplace.pipeline.spec import ElementSettings

DIRECT_IDENTIFIERS = ("resident_id", "bank_card", "mobile", "landline", "email", "plate",
                      "name")
BATCH = 10_000
EXACT_DISTINCT_ROWS = 1_000_000


def _text_columns(columns: Sequence[tuple[str, str]]) -> list[str]:
    return [name for name, kind in columns if kind.upper() in ("VARCHAR", "TEXT", "STRING")]


def _ident(column: str) -> str:
    """A column name as a quoted SQL identifier (the only text put into the SQL)."""
    return '"' + column.replace('"', '""') + '"'


def _dictionary_columns(con: duckdb.DuckDBPyConnection, path: Path) -> set[str]:
    """Top-level columns whose every column chunk is dictionary-encoded (no PLAIN pages)."""
    rows = con.execute("SELECT path_in_schema, bool_and(encodings LIKE '%DICTIONARY%' AND NOT "
                       "regexp_matches(encodings, '(^|[ ,])PLAIN($|[ ,])')) FROM "
                       "parquet_metadata(?) GROUP BY ALL", [str(path)]).fetchall()
    return {name for name, dictionary in rows if dictionary}


def _candidates(con: duckdb.DuckDBPyConnection, path: Path, column: str,
                dictionary: bool) -> Iterator[str]:
    quoted = _ident(column)
    globs = " OR ".join(f"{quoted} GLOB ?" for _ in PREFILTER_GLOBS) if dictionary else "true"
    sql = (f"SELECT {quoted} FROM read_parquet(?) WHERE ({globs}) "  # noqa: S608
           f"AND regexp_matches({quoted}, ?)")
    cursor = con.execute(sql, [str(path), *(PREFILTER_GLOBS if dictionary else ()), PREFILTER])
    while batch := cursor.fetchmany(BATCH):
        yield from (row[0] for row in batch)


def scan_output(path: Path, columns: Sequence[tuple[str, str]],
                config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per text column: rows, nulls, rows with findings, counts by kind, masked examples."""
    out: dict[str, dict[str, Any]] = {}
    with duckdb.connect(config=config) as con:
        dictionary = _dictionary_columns(con, path)
        for column in _text_columns(columns):
            sql = f"SELECT count(*), count({_ident(column)}) FROM read_parquet(?)"  # noqa: S608
            rows, present = con.execute(sql, [str(path)]).fetchone() or (0, 0)
            nulls = rows - present
            report = scan_values(_candidates(con, path, column, column in dictionary))
            out[column] = {"rows": int(rows), "nulls": int(nulls),
                           "rows_with_hits": report.rows_with_hits, "kinds": list(report.kinds),
                           "counts": dict(report.counts),
                           "examples": [list(e) for e in report.examples]}
    return out


def refuse_unlicensed(pii: dict[str, dict[str, Any]], element: ElementSettings) -> None:
    """Raise 422 when direct identifiers remain outside the declared licensed columns."""
    licensed = {x.column for x in element.licensed_personal_data}
    errors = {f"output.{col}": [f"Direct identifiers remain ({', '.join(found)}); redact them "
                                "or declare the column as licensed personal data."]
              for col, report in pii.items() if col not in licensed
              and (found := [k for k in report["kinds"] if k in DIRECT_IDENTIFIERS])}
    if errors:
        raise ValidationFailed("The output still holds direct identifiers; it was not "
                               "published.", errors=errors)


def quality(path: Path, columns: Sequence[tuple[str, str]], config: dict[str, Any],
            rows: int | None = None) -> dict[str, Any]:
    """The GB/T 36344 profile of the output (default rules) as a JSON document. Per-column
    distinct counts, which no score depends on, are exact up to :data:`EXACT_DISTINCT_ROWS`
    rows and HyperLogLog estimates above (the profile says which): exact counts of ten
    high-cardinality columns are most of a 10M-row profile's time."""
    exact = rows is None or rows <= EXACT_DISTINCT_ROWS
    return profile(path, columns=list(columns), config=config, exact_distinct=exact).to_dict()
