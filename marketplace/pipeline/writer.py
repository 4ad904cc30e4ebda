"""Write a run's rows as Parquet in row groups of exactly :data:`ROW_GROUP_SIZE` rows (issue 4 §5).

DuckDB's order-preserving parallel ``COPY`` merges the batches its threads finish into row groups
as they arrive, and a partly filled group that is within one vector of the target size when a
merge pass ends is written as it is: the same rows can be cut into groups differently from run to
run (seen under load at 2M rows: one group of 120,294 rows where another run wrote 124,390), and
then the bytes differ.  So the rows are written in two DuckDB instances joined by an Arrow
stream:

1. the pipeline's connection runs the query and streams its rows out as Arrow record batches
   (``arrow_lossless_conversion``, so every DuckDB type reads back as itself);
2. :func:`exact_batches` re-cuts the stream into batches of exactly ``ROW_GROUP_SIZE`` rows
   (the last one shorter);
3. a second, locked-down instance writes them with ``COPY``: each source batch is exactly one
   row group, so the layout depends only on the rows, never on timing or thread count.

:func:`check_layout` then reads the footer and fails the run if any group but the last differs
from ``ROW_GROUP_SIZE``: a layout we cannot reproduce is an error, not a different hash.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
from sqlglot import exp

__all__ = ["ROW_GROUP_SIZE", "LayoutError", "RowStream", "check_layout", "copy_sql",
           "engine_error", "exact_batches", "locked_connection", "split_memory",
           "writer_connection"]

ROW_GROUP_SIZE = 122_880
SOURCE = "elx_rows"
_SIZE = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([KMGT]?I?B)?\s*", re.IGNORECASE)
_UNITS = {"B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
          "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}
# The writer needs ~4 MB per column per thread for its batches; a quarter of the run's allowance,
# at least this much when the allowance allows it.
_WRITER_SHARE, _WRITER_MIN = 4, 64 * 10**6


class LayoutError(RuntimeError):
    """The written file's row groups are not the fixed layout."""


def split_memory(limit: str) -> tuple[str, str]:
    """Split a DuckDB memory limit (``512MB``, ``1GiB`` …, DuckDB's units) between the pipeline
    and the writer instance, so that together they stay within ``limit``."""
    match = _SIZE.fullmatch(limit)
    if match is None:
        raise ValueError(f"not a memory size: {limit!r}")
    total = int(float(match[1]) * _UNITS[(match[2] or "B").upper()])
    writer = min(total // 2, max(total // _WRITER_SHARE, _WRITER_MIN))
    return f"{total - writer}B", f"{writer}B"


def exact_batches(source: pa.RecordBatchReader, rows: int = ROW_GROUP_SIZE
                  ) -> Iterator[pa.RecordBatch]:
    """The source's rows, in order, as record batches of exactly ``rows`` rows (the last one
    shorter, none empty). Full batches are copied into one contiguous batch; the rest is
    sliced without copying."""
    pending: list[pa.RecordBatch] = []
    have = 0
    for batch in source:
        if batch.num_rows == 0:
            continue
        pending.append(batch)
        have += batch.num_rows
        while have >= rows:
            head, pending = _cut(pending, rows, source.schema)
            have -= rows
            yield head
    if have:
        head, _ = _cut(pending, have, source.schema)
        yield head


def _cut(pending: list[pa.RecordBatch], rows: int, schema: pa.Schema
         ) -> tuple[pa.RecordBatch, list[pa.RecordBatch]]:
    table = pa.Table.from_batches(pending, schema=schema)
    head = table.slice(0, rows).combine_chunks().to_batches(max_chunksize=rows)
    assert len(head) == 1 and head[0].num_rows == rows
    return head[0], table.slice(rows).to_batches()


class RowStream:
    """The pipeline connection's result as a stream of exact batches; an error raised while
    producing them (a bad value, an interrupt, memory) is kept so the caller can report the
    pipeline's error rather than the writer's wrapping of it."""

    def __init__(self, con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, object]
                 ) -> None:
        self.error: BaseException | None = None
        self.rows = 0
        self._source = con.sql(sql, params=params or None).to_arrow_reader(ROW_GROUP_SIZE)
        self.reader = pa.RecordBatchReader.from_batches(self._source.schema, self._batches())

    def _batches(self) -> Iterator[pa.RecordBatch]:
        try:
            for batch in exact_batches(self._source):
                self.rows += batch.num_rows
                yield batch
        except BaseException as err:
            self.error = engine_error(err)
            raise


_ERROR_CLASSES = {name.lower(): cls for name, cls in vars(duckdb).items()
                  if isinstance(cls, type) and issubclass(cls, duckdb.Error)}
_ERROR_KIND = re.compile(r"([A-Za-z ]{2,40}) Error: ")


def engine_error(err: BaseException) -> BaseException:
    """DuckDB's own exception for an error that crossed the Arrow stream: Arrow hands it on as
    an ``OSError`` carrying DuckDB's message (``Conversion Error: …``), so the class named by
    the message's prefix is restored; anything else is returned as it is."""
    if isinstance(err, duckdb.Error) or not isinstance(err, OSError | pa.ArrowException):
        return err
    match = _ERROR_KIND.match(str(err))
    kind = match and _ERROR_CLASSES.get(match[1].replace(" ", "").lower() + "exception")
    return kind(str(err)) if kind else duckdb.Error(str(err))


def copy_sql(path: Path) -> str:
    """``COPY`` of the registered stream to ``path`` with the fixed Parquet options."""
    options = (("FORMAT", exp.var("parquet")), ("COMPRESSION", exp.var("zstd")),
               ("COMPRESSION_LEVEL", exp.Literal.number(3)),
               ("ROW_GROUP_SIZE", exp.Literal.number(ROW_GROUP_SIZE)))
    query = exp.select(exp.Star()).from_(SOURCE)
    return exp.Copy(this=exp.Subquery(this=query), kind=False,
                    files=[exp.Literal.string(str(path))], params=[
                        exp.CopyParameter(this=exp.var(k), expression=v) for k, v in options]
                    ).sql("duckdb")


def locked_connection(work: Path, memory_limit: str, threads: int, spill: str, *,
                      readable: tuple[Path, ...] = (),
                      settings: tuple[tuple[str, object], ...] = ()
                      ) -> duckdb.DuckDBPyConnection:
    """A DuckDB instance locked down as in DuckDB's "Securing DuckDB" guide: memory and thread
    limits, spilling to ``work/spill``, no extension auto-install/auto-load, UTC, files
    readable only at ``readable`` and inside ``work`` (also the only place it can write),
    ``settings`` applied, then the configuration locked."""
    con = duckdb.connect(":memory:", config={
        "memory_limit": memory_limit, "threads": threads,
        "temp_directory": str(work / spill), "preserve_insertion_order": True,
        "arrow_lossless_conversion": True,
        "autoinstall_known_extensions": False, "autoload_known_extensions": False})
    for setting, value in (("TimeZone", "UTC"), *settings,
                           ("allowed_paths", [str(p) for p in readable]),
                           ("allowed_directories", [str(work) + "/"]),
                           ("enable_external_access", False), ("lock_configuration", True)):
        con.execute(f"SET {setting} = ?", [value])
    return con


def writer_connection(work: Path, memory_limit: str, threads: int) -> duckdb.DuckDBPyConnection:
    """The writer instance: it reads only registered Arrow streams and writes inside ``work``."""
    return locked_connection(work, memory_limit, threads, "spill-writer")


def check_layout(con: duckdb.DuckDBPyConnection, path: Path, rows: int) -> None:
    """Every row group but the last holds exactly ``ROW_GROUP_SIZE`` rows and they add up to
    ``rows``."""
    groups = [n for (n,) in con.execute(
        "SELECT any_value(row_group_num_rows) FROM parquet_metadata(?) "
        "GROUP BY row_group_id ORDER BY row_group_id", [str(path)]).fetchall()]
    if sum(groups) != rows or any(n != ROW_GROUP_SIZE for n in groups[:-1]) or (
            groups and not 0 < groups[-1] <= ROW_GROUP_SIZE):
        raise LayoutError(f"row groups {groups[:3]}… do not have the fixed layout")
