"""Run a validated pipeline on DuckDB and store its output as Parquet (issue 4 §5).

Each run gets a fresh in-memory DuckDB locked down as in DuckDB's "Securing DuckDB" guide
(:func:`.writer.locked_connection`): ``memory_limit`` and ``threads``, ``temp_directory`` for
out-of-core spilling, no extension auto-install/auto-load, file access limited to the input
files (``allowed_paths``) and a private work directory (``allowed_directories``), ``TimeZone``
UTC, then ``lock_configuration``.

Deterministic: a pipeline of order-keeping steps (projections and filters, ``keeps_order``)
streams its rows in input order with ``preserve_insertion_order``; any other is ordered by
every column at the end; floating aggregates add in sorted order, samples are chosen by hash,
and the rows are written by :mod:`.writer` in row groups of exactly 122,880 rows with fixed
Parquet options (ZSTD level 3), a layout checked after writing, so the same input blobs + spec +
:data:`ENGINE_VERSION` give the same bytes whatever ``threads`` is or how busy the machine;
:func:`element_version_id` is derived from exactly those.

Each statement runs in a worker thread while the caller's thread polls ``query_progress()`` and
``cancel()`` every 50 ms; cancelling interrupts the connections and raises :class:`Cancelled`.
Any engine error becomes :class:`PipelineFailed` with a generic message (engine text may hold
paths).  The blob store is written only after everything succeeded; nothing is left otherwise.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import hashlib
import hmac
import logging
import math
import shutil
import tempfile
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import rfc8785
import sqlglot
from sqlglot import exp

from marketplace.errors import DomainError
from marketplace.storage import BlobRef, BlobStore

from .compiler import InputTable, KAnonRequest, compile_pipeline, input_table, plan_from_rows
from .spec import ValidatedPipeline
from .steps.base import col, fn
from .steps.sqlfns import s
from .steps.types import Schema
from .writer import (
    SOURCE,
    LayoutError,
    RowStream,
    check_layout,
    copy_sql,
    locked_connection,
    split_memory,
    writer_connection,
)

__all__ = ["ENGINE_VERSION", "Cancelled", "InputTable", "PipelineFailed", "Progress",
           "RunResult", "element_version_id", "input_table", "run"]

log = logging.getLogger(__name__)
ENGINE_VERSION = (f"elx-pipeline/3 duckdb/{duckdb.__version__} pyarrow/{pa.__version__} "
                  f"sqlglot/{sqlglot.__version__}")
SAMPLE_ROWS = 20
POLL_SECONDS = 0.05


class Cancelled(DomainError):
    status, slug, title = 409, "cancelled", "Cancelled"


class PipelineFailed(DomainError):
    """The engine refused the run; ``reason`` is ``data``, ``resources`` or ``engine``."""

    status, slug, title = 422, "pipeline-failed", "Pipeline failed"


@dataclass(frozen=True)
class Progress:
    stage: str  # prepare | k_anonymity | execute | verify | store | done
    step: int | None = None
    rows_processed: int | None = None
    rows_total: int | None = None
    percent: float | None = None


@dataclass(frozen=True)
class RunResult:
    output: BlobRef
    row_count: int
    schema: Schema
    k_anonymity: tuple[Mapping[str, Any], ...]
    engine_version: str
    element_version_id: str
    spec_hash: str
    sample_rows: tuple[Mapping[str, Any], ...]


def element_version_id(inputs: Mapping[str, str], spec_hash: str,
                       engine: str = ENGINE_VERSION, secret_id: str | None = None) -> str:
    """``elv_`` + 16 base32 characters (80 bits) of the SHA-256 of the RFC 8785 JSON of the
    input blob digests by alias, the spec hash, the engine version and, when the spec uses the
    secret, the secret's identifier."""
    doc = {"engine": engine, "inputs": dict(inputs), "secret_id": secret_id, "spec": spec_hash}
    digest = hashlib.sha256(rfc8785.dumps(doc)).digest()
    return "elv_" + base64.b32encode(digest[:10]).decode().lower()


def secret_id(secret: bytes) -> str:
    return hmac.new(secret, b"elx/pipeline/secret-id", hashlib.sha256).hexdigest()[:16]


class _Session:
    """A locked-down connection whose queries run in a worker thread, polled for progress
    and cancellation from the caller's thread."""

    def __init__(self, inputs: Mapping[str, InputTable], work: Path, memory_limit: str,
                 threads: int, progress: Callable[[Progress], None] | None,
                 cancel: Callable[[], bool] | None) -> None:
        self.progress, self.cancel, self.cancelled = progress, cancel, False
        counts = [t.row_count for t in inputs.values()]
        self.total = None if None in counts else sum(counts)  # type: ignore[arg-type]
        self.work, self.threads = work, max(threads, 1)
        self.memory_limit, self.writer_memory = split_memory(memory_limit)
        self.con = locked_connection(
            work, self.memory_limit, self.threads, "spill",
            readable=tuple(t.path for t in inputs.values()),
            settings=(("enable_progress_bar", True), ("enable_progress_bar_print", False)))

    def report(self, stage: str, step: int | None = None, percent: float | None = None) -> None:
        if self.progress is not None:
            done = None if percent is None or self.total is None else int(
                self.total * percent / 100)
            self.progress(Progress(stage, step, done, self.total, percent))

    def check_cancel(self) -> None:
        if self.cancelled or (self.cancel is not None and self.cancel()):
            self.cancelled = True
            raise Cancelled("The run was cancelled.")

    def query(self, sql: str, params: Mapping[str, object], stage: str,
              step: int | None = None) -> list[tuple[Any, ...]]:
        return self._poll(lambda: self.con.execute(sql, dict(params) or None).fetchall(),
                          (self.con,), stage, step)

    def write(self, sql: str, params: Mapping[str, object], out: Path) -> int:
        """Run the pipeline query and write its rows to ``out`` in the fixed layout
        (:mod:`.writer`); the number of rows written."""
        writer = writer_connection(self.work, self.writer_memory, self.threads)
        try:
            def work() -> int:
                stream = RowStream(self.con, sql, dict(params))
                try:
                    writer.register(SOURCE, stream.reader)
                    writer.execute(copy_sql(out))
                except duckdb.Error:
                    if stream.error is not None:  # the pipeline's own error, not the wrapper
                        raise stream.error from None
                    raise
                return stream.rows

            rows = self._poll(work, (self.con, writer), "execute", None)
            try:
                check_layout(writer, out, rows)
            except LayoutError:
                log.error("pipeline output layout check failed", exc_info=True)
                raise PipelineFailed("The output could not be written reproducibly.",
                                     reason="engine") from None
            return rows
        finally:
            writer.close()

    def _poll(self, work: Callable[[], Any], connections: tuple[duckdb.DuckDBPyConnection, ...],
              stage: str, step: int | None) -> Any:
        self.check_cancel()
        self.report(stage, step, 0.0)
        out: dict[str, Any] = {}

        def run() -> None:
            try:
                out["result"] = work()
            except BaseException as err:  # handed to the polling thread
                out["error"] = err

        worker = threading.Thread(target=run, name="elx-pipeline", daemon=True)
        worker.start()
        try:
            while True:
                worker.join(POLL_SECONDS)
                if not worker.is_alive():
                    break
                self.check_cancel()
                percent = self.con.query_progress()
                if percent >= 0:
                    self.report(stage, step, min(float(percent), 100.0))
        except BaseException:
            for con in connections:
                con.interrupt()
            worker.join()
            raise
        if "error" in out:
            raise out["error"]
        self.report(stage, step, 100.0)
        return out["result"]


def _output(path: Path) -> exp.Expression:
    return exp.Anonymous(this="read_parquet", expressions=[s(str(path))])


def _plain(schema: Schema) -> list[exp.Expression]:
    """Columns to fetch into Python: TIMESTAMPTZ as text (its Python form needs pytz)."""
    return [exp.alias_(exp.Cast(this=col(c.name), to=exp.DataType.build("VARCHAR")), c.name,
                       quoted=True) if "TIME ZONE" in c.type.upper() else col(c.name)
            for c in schema.columns]


def _json(value: object) -> object:
    """A JSON-safe form of a DuckDB value for the sample rows."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dt.date | dt.time | dt.datetime):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID | dt.timedelta):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json(v) for k, v in value.items()}
    return value


def _verify(session: _Session, out: Path, plans: tuple[tuple[int, Any], ...]
            ) -> tuple[dict[str, Any], ...]:
    """Re-count the QI classes of the written output: the report says what was achieved."""
    reports = []
    for step, plan in plans:
        classes = exp.select(exp.Count(this=exp.Star()).as_("n")).from_(_output(out)).group_by(
            *(col(q) for q in plan.columns))
        query = exp.select(fn("min", exp.column("n")), exp.Count(this=exp.Star())).from_(
            classes.subquery("c"))
        smallest, count = session.query(query.sql("duckdb"), {}, "verify", step)[0]
        if count and smallest < plan.k:
            raise PipelineFailed("The output is not k-anonymous.", reason="engine")
        reports.append({**plan.as_dict(), "step": step, "quasi_identifiers": list(plan.columns),
                        "classes": count, "smallest_class": smallest or 0})
    return tuple(reports)


def _store(path: Path, store: BlobStore, max_bytes: int, session: _Session) -> BlobRef:
    with store.writer(max_bytes) as writer, path.open("rb") as src:
        while chunk := src.read(1 << 20):
            writer.write(chunk)
        session.check_cancel()
        return writer.commit()


def run(pipeline: ValidatedPipeline, inputs: Mapping[str, InputTable], *, store: BlobStore,
        temp_dir: Path, secret: bytes | None = None, memory_limit: str = "512MB",
        threads: int = 2, progress: Callable[[Progress], None] | None = None,
        cancel: Callable[[], bool] | None = None, max_output_bytes: int = 1 << 40) -> RunResult:
    """Execute ``pipeline`` over ``inputs`` (by alias) and store the Parquet output."""
    spec = pipeline.spec
    work = Path(tempfile.mkdtemp(prefix="elx-run-", dir=temp_dir))
    try:
        session = _Session(inputs, work, memory_limit, threads, progress, cancel)
        try:
            session.report("prepare")

            def planner(request: KAnonRequest) -> Any:
                rows = session.query(request.sql, request.params, "k_anonymity", request.step)
                return plan_from_rows(request, rows)

            compiled = compile_pipeline(pipeline, inputs, secret=secret, planner=planner)
            out = work / "out.parquet"
            row_count = session.write(compiled.query.sql("duckdb"), compiled.params, out)
            names = compiled.schema.names
            reports = _verify(session, out, compiled.plans)
            order = [fn("hash", *(col(c) for c in names)), *(col(c) for c in names)]
            sample = session.query(exp.select(*_plain(compiled.schema)).from_(_output(out))
                                   .order_by(*order).limit(SAMPLE_ROWS).sql("duckdb"),
                                   {}, "verify")
        except duckdb.Error as err:
            if isinstance(err, duckdb.InterruptException) and session.cancelled:
                raise Cancelled("The run was cancelled.") from None
            raise _failure(err) from None
        finally:
            session.con.close()
        session.report("store")
        ref = _store(out, store, max_output_bytes, session)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    session.report("done", percent=100.0)
    ids = {x.alias: inputs[x.alias].sha256 for x in spec.inputs}
    element = element_version_id(ids, spec.spec_hash, ENGINE_VERSION,
                                 secret_id(secret) if spec.uses_secret and secret else None)
    return RunResult(ref, row_count, compiled.schema, reports, ENGINE_VERSION, element,
                     spec.spec_hash, tuple({c: _json(v) for c, v in zip(names, row, strict=True)}
                                           for row in sample))


def _failure(err: duckdb.Error) -> PipelineFailed:
    log.warning("pipeline run failed: %s", type(err).__name__, exc_info=True)
    if isinstance(err, duckdb.OutOfMemoryException | duckdb.IOException):
        reason = "resources"
    elif isinstance(err, duckdb.DataError | duckdb.InvalidInputException |
                    duckdb.ConstraintException):
        reason = "data"
    else:
        reason = "engine"
    detail = {"data": "A value in the input could not be processed as the spec requires.",
              "resources": "The run exceeded its memory or disk allowance.",
              "engine": "The pipeline could not be executed."}[reason]
    return PipelineFailed(detail, reason=reason)
