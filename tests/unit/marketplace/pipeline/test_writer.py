"""The fixed-layout Parquet writer (issue 4 §5, determinism): exact batches, the layout check,
memory split and the errors that cross the Arrow stream."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.pipeline.writer import (
    ROW_GROUP_SIZE,
    LayoutError,
    check_layout,
    engine_error,
    exact_batches,
    split_memory,
)


def _reader(sizes: list[int]) -> pa.RecordBatchReader:
    schema = pa.schema([("i", pa.int64()), ("s", pa.string())])
    start, batches = 0, []
    for n in sizes:
        values = list(range(start, start + n))
        batches.append(pa.record_batch([pa.array(values, pa.int64()),
                                        pa.array([f"v{v}" for v in values])], schema=schema))
        start += n
    return pa.RecordBatchReader.from_batches(schema, batches)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 40), max_size=30), st.integers(1, 25))
def test_exact_batches_cut_any_stream_into_equal_batches_in_order(sizes: list[int],
                                                                  rows: int) -> None:
    out = list(exact_batches(_reader(sizes), rows))
    counts = [b.num_rows for b in out]
    assert all(n == rows for n in counts[:-1]) and all(n > 0 for n in counts)
    assert sum(counts) == sum(sizes)
    values = [v for b in out for v in b.column("i").to_pylist()]
    assert values == list(range(sum(sizes)))
    assert [v for b in out for v in b.column("s").to_pylist()] == [f"v{v}" for v in values]


def _csv(tmp_path: Path, rows: int) -> Path:
    path = tmp_path / "in.csv"
    duckdb.connect().execute(
        "COPY (SELECT i AS id, md5(i::VARCHAR) AS h, repeat('x', (i % 40)::INT) AS pad "
        f"FROM range({rows}) t(i)) TO '{path}' (HEADER)")
    return path


def test_duckdbs_own_parallel_layout_fails_the_check_and_the_fixed_one_passes(
        tmp_path: Path) -> None:
    """What the runner used to do — an order-preserving parallel COPY from a CSV — cuts groups
    where thread batches meet, which the check refuses; the writer's layout passes."""
    rows = 3 * ROW_GROUP_SIZE + 1000
    src = _csv(tmp_path, rows)
    con = duckdb.connect(config={"threads": 4, "preserve_insertion_order": True})
    direct = tmp_path / "direct.parquet"
    con.execute(f"COPY (SELECT * FROM read_csv('{src}') WHERE id % 7 <> 3) TO '{direct}' "
                f"(FORMAT parquet, ROW_GROUP_SIZE {ROW_GROUP_SIZE})")
    kept = con.execute(f"SELECT count(*) FROM '{direct}'").fetchone()[0]
    with pytest.raises(LayoutError):
        check_layout(con, direct, kept)
    fixed = tmp_path / "fixed.parquet"
    reader = con.sql(f"SELECT * FROM read_csv('{src}') WHERE id % 7 <> 3").to_arrow_reader(1000)
    other = duckdb.connect(config={"threads": 4})
    other.register("s", pa.RecordBatchReader.from_batches(reader.schema, exact_batches(reader)))
    other.execute(f"COPY (SELECT * FROM s) TO '{fixed}' "
                  f"(FORMAT parquet, ROW_GROUP_SIZE {ROW_GROUP_SIZE})")
    check_layout(con, fixed, kept)
    with pytest.raises(LayoutError):  # a wrong row count is refused too
        check_layout(con, fixed, kept + 1)


def test_memory_is_split_within_the_limit() -> None:
    for limit, total in (("256MB", 256 * 10**6), ("1GiB", 2**30), ("64MB", 64 * 10**6),
                         ("1.5GB", 15 * 10**8), ("100000B", 100000), ("512 mb", 512 * 10**6)):
        run, write = (int(x[:-1]) for x in split_memory(limit))
        assert run + write == total and 0 < write <= run
    assert split_memory("1GB") == ("750000000B", "250000000B")
    with pytest.raises(ValueError):
        split_memory("lots")


@pytest.mark.parametrize(("message", "kind"), [
    ("Conversion Error: Could not convert string 'x' to INT64", duckdb.ConversionException),
    ("Out of Memory Error: failed to allocate", duckdb.OutOfMemoryException),
    ("IO Error: could not write", duckdb.IOException),
    ("Invalid Input Error: boom", duckdb.InvalidInputException),
    ("INTERRUPT Error: Interrupted!", duckdb.InterruptException),
    ("Something odd", duckdb.Error),
])
def test_errors_that_crossed_the_arrow_stream_get_duckdbs_class_back(message: str,
                                                                     kind: type) -> None:
    err = engine_error(OSError(message))
    assert type(err) is kind and str(err) == message
    same = duckdb.DataError("x")
    assert engine_error(same) is same
    other = KeyError("k")
    assert engine_error(other) is other


def test_a_conversion_error_mid_stream_surfaces_as_duckdbs_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("v\n" + "1\n" * 300_000 + "x\n")
    con = duckdb.connect()
    reader = con.sql(f"SELECT v::BIGINT AS v FROM read_csv('{path}', all_varchar=true)"
                     ).to_arrow_reader(1000)
    with pytest.raises(Exception) as caught:
        for _ in exact_batches(reader):
            pass
    assert isinstance(engine_error(caught.value), duckdb.ConversionException)
