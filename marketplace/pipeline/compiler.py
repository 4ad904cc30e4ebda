"""Compile a validated pipeline into ONE DuckDB ``SELECT``, a chain of CTEs (issue 4 §5)::

    WITH src_0 AS (SELECT … FROM read_csv('<blob>', columns = {…}, auto_detect = FALSE, …)),
         step_0 AS (SELECT … FROM src_0), …, step_n AS (…)
    SELECT <every column> FROM step_n ORDER BY <every column>

Everything is built with sqlglot expression builders: names are quoted identifiers and values
literals, so no user value is ever spliced into SQL text.  Inputs are read with their recorded
column types (CSV and JSON Lines with ``columns=``; Parquet cast column by column), so a bad
value late in a file fails the run instead of silently changing a type.  The secret of
``keyed_hash``/``tokenise`` is never in the SQL: it enters as the bound parameters
``$elx_ipad``/``$elx_opad`` (:func:`~.steps.sqlfns.hmac_keys`).  The final ``ORDER BY`` over all
columns makes the row order, hence the Parquet bytes, independent of thread scheduling.

``k_anonymity`` needs the data: when the compiler reaches it, it hands a ``planner`` the
``GROUP BY`` over every ladder level (a :class:`KAnonRequest`) and continues with the returned
:class:`~marketplace.pipeline.kanon.KAnonPlan`; :func:`duckdb_planner` runs it on a connection.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlglot import exp

from marketplace.assets.csvtable import read_header
from marketplace.assets.facts import connect
from marketplace.errors import ValidationFailed

from .kanon import GroupCounts, KAnonPlan, KAnonymityInfeasible, plan_k_anonymity
from .spec import ValidatedPipeline
from .steps.base import CompileContext, col
from .steps.kanon_step import KAnonymity
from .steps.sqlfns import hmac_keys, s
from .steps.types import Column, Schema, datatype

__all__ = ["CompiledPipeline", "InputTable", "KAnonRequest", "Planner", "compile_pipeline",
           "duckdb_planner", "input_table", "plan_from_rows"]

FORMATS = ("csv", "jsonl", "parquet")


@dataclass(frozen=True)
class InputTable:
    """One input file: the normalised blob of an asset version (UTF-8 CSV, JSON Lines or
    Parquet) with its recorded columns.  CSV dialect: RFC 4180 with this ``delimiter``;
    ``date_format``/``timestamp_format`` as DuckDB's sniffer found them (None: ISO 8601)."""

    path: Path
    format: str
    columns: tuple[Column, ...]
    sha256: str
    row_count: int | None = None
    delimiter: str = ","
    date_format: str | None = None
    timestamp_format: str | None = None


@dataclass(frozen=True)
class KAnonRequest:
    """The counts a k_anonymity step needs: run ``sql`` with ``params``; each row is
    ``(levels of QI 1, levels of QI 2, …, count)`` as :class:`GroupCounts` takes them."""

    step: int
    sql: str
    params: Mapping[str, object]
    heights: tuple[int, ...]
    columns: tuple[str, ...]
    k: int
    max_suppression: float


Planner = Callable[[KAnonRequest], KAnonPlan]


@dataclass(frozen=True)
class CompiledPipeline:
    query: exp.Select
    params: Mapping[str, object]
    schema: Schema
    plans: tuple[tuple[int, KAnonPlan], ...]

    @property
    def sql(self) -> str:
        return self.query.sql(dialect="duckdb")


_SNIFF = ("SELECT DateFormat, TimestampFormat FROM sniff_csv(?, delim = ?, quote = '\"', "
          "escape = '\"', header = true, strict_mode = true, comment = '')")


def input_table(path: Path, fmt: str, columns: Any, sha256: str, row_count: int | None = None,
                *, memory_limit: str = "256MB", threads: int = 2) -> InputTable:
    """An :class:`InputTable` for an asset version's normalised blob; for CSV the delimiter
    and date/timestamp formats are found again the way ingestion found them (same sniffer,
    same dialect, same file), so the recorded column types read back."""
    cols = Schema.of(columns).columns
    if fmt != "csv":
        return InputTable(Path(path), fmt, cols, sha256, row_count)
    delimiter, _ = read_header(Path(path))
    with connect(Path(path), memory_limit, threads) as con:
        row = con.execute(_SNIFF, [str(path), delimiter]).fetchone()
    date_format, timestamp_format = row if row else (None, None)
    return InputTable(Path(path), fmt, cols, sha256, row_count, delimiter,
                      date_format or None, timestamp_format or None)


def _kw(name: str, value: exp.Expression) -> exp.EQ:
    return exp.EQ(this=exp.column(name), expression=value)


def _columns_struct(columns: tuple[Column, ...]) -> exp.Struct:
    return exp.Struct(expressions=[exp.PropertyEQ(this=exp.to_identifier(c.name, quoted=True),
                                                  expression=s(c.type)) for c in columns])


def source_query(table: InputTable) -> exp.Select:
    """``SELECT <columns> FROM read_…(<path>)`` with the recorded types."""
    path = s(str(table.path))
    names = [col(c.name) for c in table.columns]
    if table.format == "parquet":
        casts = [exp.alias_(exp.Cast(this=col(c.name), to=datatype(c.type)), c.name,
                            quoted=True, copy=False) for c in table.columns]
        return exp.select(*casts).from_(exp.Anonymous(this="read_parquet", expressions=[path]))
    if table.format == "jsonl":
        args = [path, _kw("format", s("newline_delimited")), _kw("records", exp.true()),
                _kw("columns", _columns_struct(table.columns))]
        return exp.select(*names).from_(exp.Anonymous(this="read_json", expressions=args))
    if table.format != "csv":
        raise ValueError(f"unknown input format {table.format!r}")
    args = [path, _kw("delim", s(table.delimiter)), _kw("quote", s('"')), _kw("escape", s('"')),
            _kw("header", exp.true()), _kw("strict_mode", exp.true()), _kw("comment", s("")),
            _kw("auto_detect", exp.false()), _kw("columns", _columns_struct(table.columns))]
    for option, value in (("dateformat", table.date_format),
                          ("timestampformat", table.timestamp_format)):
        if value:
            args.append(_kw(option, s(value)))
    return exp.select(*names).from_(exp.Anonymous(this="read_csv", expressions=args))


def _with(ctes: list[tuple[str, exp.Select]], final: exp.Select, copy: bool) -> exp.Select:
    for name, query in ctes:
        final = final.with_(name, as_=query.copy() if copy else query, copy=False)
    return final


def compile_pipeline(pipeline: ValidatedPipeline, inputs: Mapping[str, InputTable], *,
                     secret: bytes | None = None, planner: Planner | None = None
                     ) -> CompiledPipeline:
    """The pipeline as one query; ``inputs`` by alias must carry the validated columns."""
    spec = pipeline.spec
    params: dict[str, Any] = {}
    if spec.uses_secret:
        if secret is None or len(secret) < 16:
            raise ValueError("keyed_hash/tokenise need a secret of at least 16 bytes")
        params["elx_ipad"], params["elx_opad"] = hmac_keys(secret)
    ctes: list[tuple[str, exp.Select]] = []
    sources: dict[str, str] = {}
    for i, ref in enumerate(spec.inputs):
        table = inputs[ref.alias]
        if Schema(tuple(table.columns)) != pipeline.input_schema(ref.alias):
            raise ValueError(f"input {ref.alias!r} does not have the validated columns")
        sources[ref.alias] = f"src_{i}"
        ctes.append((f"src_{i}", source_query(table)))
    ctx = CompileContext(sources, dict(pipeline.inputs))
    source, schema = sources[spec.main.alias], pipeline.input_schema(spec.main.alias)
    plans: list[tuple[int, KAnonPlan]] = []
    for i, step in enumerate(spec.steps):
        step_ctx = ctx
        if isinstance(step, KAnonymity):
            if planner is None:
                raise ValueError("a k_anonymity step needs a planner")
            plan = planner(_request(i, step, ctes, source, schema, spec.element, params))
            plans.append((i, plan))
            step_ctx = CompileContext(sources, ctx.inputs, plan=plan)
        ctes.append((f"step_{i}", step.compile(source, schema, step_ctx)))
        source, schema = f"step_{i}", pipeline.schemas[i]
    columns = [col(c) for c in schema.names]
    final = exp.select(*columns).from_(exp.to_table(source), copy=False)
    if not all(step.keeps_order for step in spec.steps):
        final = final.order_by(*(exp.Ordered(this=c.copy()) for c in columns), copy=False)
    return CompiledPipeline(_with(ctes, final, copy=False), params, schema, tuple(plans))


def _request(index: int, step: KAnonymity, ctes: list[tuple[str, exp.Select]], source: str,
             schema: Schema, element: Any, params: Mapping[str, object]) -> KAnonRequest:
    qis = element.quasi_identifiers
    query = _with(ctes, step.counts_query(source, qis, schema), copy=True)
    return KAnonRequest(index, query.sql(dialect="duckdb"), params,
                        tuple(len(step.ladder(q)) for q in qis), qis, element.k,
                        step.max_suppression)


def plan_from_rows(request: KAnonRequest, rows: list[tuple[Any, ...]]) -> KAnonPlan:
    """Plan from the counts; a ladder that does not coarsen on this data, or a k that cannot
    be reached within the suppression budget, is a 422 naming the step."""
    path = f"steps.{request.step}"
    try:
        counts = GroupCounts(request.heights, rows)
    except ValueError as err:
        raise ValidationFailed("k-anonymity could not be planned.",
                               errors={f"{path}.ladders": [str(err)]}) from None
    try:
        return plan_k_anonymity(counts, request.k, request.max_suppression, request.columns)
    except KAnonymityInfeasible as err:
        raise ValidationFailed("k-anonymity could not be reached.",
                               errors={path: [str(err)]}) from None


def duckdb_planner(con: Any) -> Planner:
    """A planner that runs the counts query on the DuckDB connection ``con``."""
    def plan(request: KAnonRequest) -> KAnonPlan:
        rows = con.execute(request.sql, dict(request.params) or None).fetchall()
        return plan_from_rows(request, rows)
    return plan
