"""The runner (issue 4 §5 and its acceptance tests): the demo hotline tickets become an element
whose output holds no resident ID / mobile / bank card / email (checked by an independent scan)
with k >= 5 on the declared quasi-identifiers; builds are byte-identical whatever the thread
count; cancelling or failing leaves no blob and no temporary files; engine text never leaks."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest

from marketplace.assets.ingest import ingest
from marketplace.demo import generate, is_valid_resident_id, write_csv
from marketplace.ids import looks_like_id
from marketplace.pipeline.checksums import is_valid_bank_card
from marketplace.pipeline.compiler import (
    InputTable,
    compile_pipeline,
    duckdb_planner,
    input_table,
)
from marketplace.pipeline.pii import scan_text
from marketplace.pipeline.runner import (
    ENGINE_VERSION,
    Cancelled,
    PipelineFailed,
    Progress,
    RunResult,
    _Session,
    run,
)
from marketplace.pipeline.spec import FORMAT, ValidatedPipeline, load_spec
from marketplace.pipeline.writer import ROW_GROUP_SIZE
from marketplace.storage import LocalBlobStore

SECRET = b"per-element secret, 32 bytes...."
VERSION = "ver_aaaaaaaaaaaaaaaa"
# Independent of pii.py: plain bounded regexes + checksums.  A number inside a longer letter/digit
# run (e.g. sixteen digits inside a hex HMAC) is not a number of its own.
_NOT_ALNUM = r"(?<![0-9A-Za-z])"
ID_RE = re.compile(_NOT_ALNUM + r"[0-9]{17}[0-9Xx](?![0-9A-Za-z])")
MOBILE_RE = re.compile(_NOT_ALNUM + r"1[3-9][0-9]{9}(?![0-9A-Za-z])")
CARD_RE = re.compile(_NOT_ALNUM + r"[0-9]{13,19}(?![0-9A-Za-z])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+\.[A-Za-z]{2,}")


@pytest.fixture(scope="module")
def hotline(tmp_path_factory: pytest.TempPathFactory) -> tuple[LocalBlobStore, InputTable]:
    """3,000 demo tickets, uploaded as GBK CSV through the real ingestion path."""
    root = tmp_path_factory.mktemp("hotline")
    buffer = io.BytesIO()
    write_csv(generate("hotline", 3000), buffer, encoding="gbk")
    store = LocalBlobStore(root / "assets")
    ingested = ingest(io.BytesIO(buffer.getvalue()), fmt="csv", declared_encoding=None,
                      filename="hotline.csv", store=store, max_bytes=10 << 20)
    path = store.local_path(ingested.normalized_sha256)
    return store, input_table(path, "csv", ingested.columns, ingested.normalized_sha256,
                              ingested.row_count)


def hotline_spec(table: InputTable, k: int = 5, extra: list[dict[str, Any]] | None = None
                 ) -> ValidatedPipeline:
    steps = [
        {"type": "normalise_text", "columns": ["body"], "ops": ["halfwidth", "trim"]},
        {"type": "redact_pii", "columns": ["body"]},
        {"type": "generalise", "column": "received_at", "method": "date_to_month",
         "as": "month"},
        {"type": "keyed_hash", "columns": ["ticket_id"]},
        *(extra or []),
        {"type": "k_anonymity", "max_suppression": 0.05},
    ]
    doc = {"format": FORMAT, "inputs": [{"alias": "t", "version_id": VERSION}], "steps": steps,
           "element": {"title": "12345 热线工单（脱敏）",
                       "quasi_identifiers": ["district", "category", "month"], "k": k}}
    return load_spec(json.dumps(doc, ensure_ascii=False), {VERSION: table.columns})


def read_output(store: LocalBlobStore, result: RunResult) -> list[dict[str, Any]]:
    con = duckdb.connect()
    cursor = con.execute("SELECT * FROM read_parquet(?)", [str(store.local_path(
        result.output.sha256))])
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def test_hotline_element_has_no_direct_identifiers_and_k_at_least_5(
        hotline: tuple[LocalBlobStore, InputTable], tmp_path: Path) -> None:
    _, table = hotline
    store = LocalBlobStore(tmp_path / "out")
    pipeline = hotline_spec(table)
    result = run(pipeline, {"t": table}, store=store, temp_dir=tmp_path, secret=SECRET)
    rows = read_output(store, result)
    assert len(rows) == result.row_count > 0.95 * 3000
    for row in rows:
        for value in row.values():
            text = str(value)
            assert not [m for m in ID_RE.findall(text) if is_valid_resident_id(m)], text
            assert not MOBILE_RE.search(text) and not EMAIL_RE.search(text), text
            assert not [m for m in CARD_RE.findall(text) if is_valid_bank_card(m)], text
            assert not scan_text(text), text
    classes: dict[tuple[Any, ...], int] = {}
    for row in rows:
        key = (row["district"], row["category"], row["month"])
        classes[key] = classes.get(key, 0) + 1
    assert min(classes.values()) >= 5
    [report] = result.k_anonymity
    assert report["smallest_class"] == min(classes.values()) >= report["k"] == 5
    assert report["classes"] == len(classes)
    assert report["suppressed_rows"] == 3000 - len(rows)
    assert [c.name for c in result.schema.columns] == list(rows[0])
    assert 0 < len(result.sample_rows) <= 20
    assert all(json.dumps(r, ensure_ascii=False) and r in rows for r in result.sample_rows)


def test_builds_are_byte_identical_and_ids_follow_their_inputs(
        hotline: tuple[LocalBlobStore, InputTable], tmp_path: Path) -> None:
    _, table = hotline
    store = LocalBlobStore(tmp_path / "out")
    pipeline = hotline_spec(table)
    first = run(pipeline, {"t": table}, store=store, temp_dir=tmp_path, secret=SECRET, threads=2)
    again = run(pipeline, {"t": table}, store=store, temp_dir=tmp_path, secret=SECRET, threads=2)
    single = run(pipeline, {"t": table}, store=store, temp_dir=tmp_path, secret=SECRET, threads=1)
    assert first.output == again.output == single.output
    assert first.element_version_id == again.element_version_id == single.element_version_id
    assert looks_like_id(first.element_version_id) and first.element_version_id[:4] == "elv_"
    assert first.engine_version == ENGINE_VERSION and first.spec_hash == pipeline.spec.spec_hash
    changed = run(hotline_spec(table, k=6), {"t": table}, store=store, temp_dir=tmp_path,
                  secret=SECRET)
    assert changed.element_version_id != first.element_version_id
    rekeyed = run(pipeline, {"t": table}, store=store, temp_dir=tmp_path, secret=SECRET[::-1])
    assert rekeyed.element_version_id != first.element_version_id  # keyed hashes differ
    assert rekeyed.output != first.output
    assert list(tmp_path.glob("elx-run-*")) == []


def _floats(tmp_path: Path, rows: int) -> InputTable:
    """A multi-row-group Parquet input, big enough for DuckDB to split it between threads."""
    path = tmp_path / "floats.parquet"
    duckdb.connect().execute(
        "COPY (SELECT i, (i * 7919) % 1000 AS g, sin(i) * 1e6 AS x, 'n' || (i % 5000) AS s "
        f"FROM range({rows}) t(i)) TO '{path}' (FORMAT parquet, ROW_GROUP_SIZE 10000)")
    columns = (("i", "BIGINT"), ("g", "BIGINT"), ("x", "DOUBLE"), ("s", "VARCHAR"))
    return input_table(path, "parquet", columns, "1" * 64, rows)


def _spec(table: InputTable, title: str, *steps: dict[str, Any]) -> ValidatedPipeline:
    """The spec of ``steps`` over ``table`` as input ``t``."""
    doc = {"format": FORMAT, "inputs": [{"alias": "t", "version_id": VERSION}],
           "element": {"title": title}, "steps": list(steps)}
    return load_spec(doc, {VERSION: table.columns})


def _float_spec(table: InputTable, seed: int = 1) -> ValidatedPipeline:
    return _spec(table, "floats", {"type": "sample", "seed": seed, "fraction": 0.8},
                 {"type": "keyed_hash", "columns": ["s"]},
                 {"type": "aggregate", "group_by": ["g"], "aggregations": [
                     {"fn": "sum", "column": "x", "as": "total"},
                     {"fn": "avg", "column": "x", "as": "mean"},
                     {"fn": "count_distinct", "column": "s", "as": "people"}]})


def test_parallel_float_aggregation_is_byte_identical(tmp_path: Path) -> None:
    table = _floats(tmp_path, 150_000)
    store = LocalBlobStore(tmp_path / "out")
    results = [run(_float_spec(table), {"t": table}, store=store, temp_dir=tmp_path,
                   secret=SECRET, threads=threads) for threads in (2, 2, 1)]
    assert len({r.output for r in results}) == 1
    assert len({r.element_version_id for r in results}) == 1
    other = run(_float_spec(table, seed=2), {"t": table}, store=store, temp_dir=tmp_path,
                secret=SECRET)
    assert other.output != results[0].output
    assert other.element_version_id != results[0].element_version_id


def _people_csv(tmp_path: Path, rows: int) -> InputTable:
    """A CSV big enough for DuckDB to read in many parallel batches."""
    path = tmp_path / "people.csv"
    duckdb.connect().execute(
        "COPY (SELECT i AS id, '张' || (i % 97) AS name, 1000 + (i * 7919) % 99991 AS income, "
        f"'备注' || i AS note FROM range({rows}) t(i)) TO '{path}' (HEADER)")
    columns = (("id", "BIGINT"), ("name", "VARCHAR"), ("income", "BIGINT"), ("note", "VARCHAR"))
    return input_table(path, "csv", columns, "2" * 64, rows)


def test_an_order_keeping_pipeline_streams_unsorted_and_is_byte_identical(
        tmp_path: Path) -> None:
    """Projections and filters keep the input order (no final sort); the Parquet bytes are the
    same whatever the thread budget."""
    table = _people_csv(tmp_path, 400_000)
    pipeline = _spec(table, "people",
                     {"type": "filter", "where": {"col": "income", "op": ">", "value": 20000}},
                     {"type": "mask", "columns": ["name"], "keep_first": 1},
                     {"type": "keyed_hash", "columns": ["note"]},
                     {"type": "generalise", "column": "income", "method": "number_bucket",
                      "width": 1000})
    compiled = compile_pipeline(pipeline, {"t": table}, secret=SECRET)
    assert compiled.query.args.get("order") is None
    store = LocalBlobStore(tmp_path / "out")
    results = [run(pipeline, {"t": table}, store=store, temp_dir=tmp_path, secret=SECRET,
                   threads=threads) for threads in (2, 1, 3, 4, 2)]
    assert len({r.output for r in results}) == 1
    path = str(store.local_path(results[0].output.sha256))
    ids = duckdb.connect().execute("SELECT id FROM read_parquet(?)", [path]).fetchall()
    assert [i for (i,) in ids] == sorted(i for (i,) in ids)  # input order, rows filtered
    # The layout does not depend on how DuckDB's threads met: every row group but the last
    # holds exactly ROW_GROUP_SIZE rows (DuckDB's own parallel writer cuts them where thread
    # batches meet, which differed between runs under load).
    groups = [n for (n,) in duckdb.connect().execute(
        "SELECT any_value(row_group_num_rows) FROM parquet_metadata(?) GROUP BY row_group_id "
        "ORDER BY row_group_id", [path]).fetchall()]
    assert len(groups) >= 3 and set(groups[:-1]) == {ROW_GROUP_SIZE}
    assert sum(groups) == results[0].row_count == len(ids)


def test_every_type_reads_back_as_itself(tmp_path: Path) -> None:
    """Rows cross an Arrow stream on their way to the writer; with lossless conversion every
    type DuckDB's Parquet writer keeps comes back as it did when DuckDB wrote it directly."""
    path = tmp_path / "types.parquet"
    query = ("SELECT i, i::HUGEINT AS h, uuid() AS u, to_days(i::INT) AS iv, "
             "TIMESTAMPTZ '2020-01-01 00:00:01+00' + to_seconds(i) AS tz, "
             "TIMETZ '01:02:03+01' AS ttz, TIMESTAMP_NS '2020-01-01 00:00:01.123456789' AS ns, "
             "(i / 3)::DECIMAL(38,10) AS d, [i, i + 1] AS l, {'x': i} AS st, "
             "MAP {'k': i} AS m, 'ab'::BLOB AS b, (i % 200)::UTINYINT AS ut "
             "FROM range(5000) t(i)")
    duckdb.connect().execute(f"COPY ({query}) TO '{path}' (FORMAT parquet)")
    con = duckdb.connect()
    direct = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
    columns = [(name, type_) for name, type_, *_ in direct]
    table = input_table(path, "parquet", columns, "3" * 64, 5000)
    pipeline = _spec(table, "types", {"type": "filter", "where": {"col": "i", "op": ">=",
                                                                  "value": 0}})
    store = LocalBlobStore(tmp_path / "out")
    result = run(pipeline, {"t": table}, store=store, temp_dir=tmp_path)
    out = str(store.local_path(result.output.sha256))
    assert con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [out]).fetchall() == direct
    assert [(c.name, c.type) for c in result.schema.columns] == columns
    differ = con.execute("SELECT count(*) FROM (SELECT * FROM read_parquet(?) EXCEPT ALL "
                         "SELECT * FROM read_parquet(?))", [str(path), out]).fetchone()
    assert differ == (0,) and result.row_count == 5000


def test_an_order_changing_step_gets_a_final_sort(hotline: tuple[LocalBlobStore, InputTable]
                                                  ) -> None:
    _, table = hotline
    compiled = compile_pipeline(hotline_spec(table), {"t": table}, secret=SECRET,
                                planner=duckdb_planner(duckdb.connect()))
    assert compiled.query.args.get("order") is not None


def _recorder() -> tuple[list[Progress], Callable[[Progress], None]]:
    events: list[Progress] = []
    return events, events.append


def test_progress_reports_stages_and_rows(hotline: tuple[LocalBlobStore, InputTable],
                                          tmp_path: Path) -> None:
    _, table = hotline
    events, record = _recorder()
    run(hotline_spec(table), {"t": table}, store=LocalBlobStore(tmp_path / "out"),
        temp_dir=tmp_path, secret=SECRET, progress=record)
    stages = [e.stage for e in events]
    assert stages[0] == "prepare" and stages[-1] == "done"
    assert {"k_anonymity", "execute", "verify", "store"} <= set(stages)
    assert stages.index("k_anonymity") < stages.index("execute")
    assert {e.step for e in events if e.stage == "k_anonymity"} == {4}
    assert all(e.rows_total == 3000 for e in events)
    assert all(0 <= (e.rows_processed or 0) <= 3000 for e in events)
    assert events[-1].rows_processed == 3000 and events[-1].percent == 100.0


def test_cancel_leaves_no_blob_and_no_files(tmp_path: Path) -> None:
    table = _floats(tmp_path, 300_000)
    store = LocalBlobStore(tmp_path / "out")
    events, record = _recorder()

    def cancel() -> bool:  # cancel as soon as the main query has started
        return any(e.stage == "execute" for e in events)

    with pytest.raises(Cancelled):
        run(_float_spec(table), {"t": table}, store=store, temp_dir=tmp_path, secret=SECRET,
            progress=record, cancel=cancel)
    assert list(store.digests()) == [] and list(tmp_path.glob("elx-run-*")) == []
    assert "done" not in {e.stage for e in events}
    with pytest.raises(Cancelled):
        run(_float_spec(table), {"t": table}, store=store, temp_dir=tmp_path, secret=SECRET,
            cancel=lambda: True)
    assert list(store.digests()) == [] and list(tmp_path.glob("elx-run-*")) == []


def test_engine_errors_are_generic_and_leave_nothing(tmp_path: Path) -> None:
    path = tmp_path / "secret-dir" / "in.csv"
    path.parent.mkdir()
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "v"])
        writer.writerows([[i, i] for i in range(30_000)] + [[30_000, "not-a-number"]])
    table = input_table(path, "csv", [("id", "BIGINT"), ("v", "BIGINT")], "2" * 64, 30_001)
    pipeline = _spec(table, "bad", {"type": "filter", "where": {"col": "v", "op": ">",
                                                                "value": 5}})
    store = LocalBlobStore(tmp_path / "out")
    with pytest.raises(PipelineFailed) as caught:
        run(pipeline, {"t": table}, store=store, temp_dir=tmp_path)
    problem = json.dumps(caught.value.to_problem())
    assert caught.value.extra["reason"] == "data"
    assert "secret-dir" not in problem and "not-a-number" not in problem
    assert "Conversion" not in problem and str(tmp_path) not in problem
    assert list(store.digests()) == [] and list(tmp_path.glob("elx-run-*")) == []


def test_the_session_is_locked_down(tmp_path: Path) -> None:
    table = _floats(tmp_path, 10)
    work = tmp_path / "work"
    work.mkdir()
    session = _Session({"t": table}, work, "64MB", 1, None, None)
    rows = session.con.execute("SELECT count(*) FROM read_parquet(?)", [str(table.path)])
    assert rows.fetchone() == (10,)
    for sql in ("SELECT * FROM read_csv('/etc/passwd')",
                f"COPY (SELECT 1) TO '{tmp_path / 'x.csv'}'",
                "SET enable_external_access = true", "SET memory_limit = '64GB'",
                "INSTALL httpfs", "LOAD httpfs"):
        with pytest.raises(duckdb.Error):
            session.con.execute(sql)
    assert not (tmp_path / "x.csv").exists()


def test_time_zones_are_utc_and_samples_are_json(tmp_path: Path) -> None:
    path = tmp_path / "tz.parquet"
    duckdb.connect().execute(
        "COPY (SELECT TIMESTAMPTZ '2024-01-31 20:00:00+00' AS at, 1.5::DOUBLE AS x, "
        f"'nan'::DOUBLE AS y) TO '{path}' (FORMAT parquet)")
    columns = (("at", "TIMESTAMP WITH TIME ZONE"), ("x", "DOUBLE"), ("y", "DOUBLE"))
    table = input_table(path, "parquet", columns, "4" * 64, 1)
    pipeline = _spec(table, "tz", {"type": "filter", "where": {
        "col": "at", "op": ">=", "value": "2024-02-01T03:00:00+08:00"}}, {
        "type": "generalise", "column": "at", "method": "date_to_month", "as": "m"})
    result = run(pipeline, {"t": table}, store=LocalBlobStore(tmp_path / "out"),
                 temp_dir=tmp_path)
    # 20:00 UTC on 31 January is 1 February in UTC+8, but the engine works in UTC
    assert result.sample_rows == ({"m": "2024-01", "x": 1.5, "y": "nan"},)
    json.dumps(result.sample_rows, allow_nan=False)


def test_a_run_that_keeps_no_rows_writes_an_empty_file_with_the_schema(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text("id,v\n1,2\n3,4\n")
    table = input_table(path, "csv", [("id", "BIGINT"), ("v", "BIGINT")], "2" * 64, 2)
    pipeline = _spec(table, "none", {"type": "filter", "where": {"col": "v", "op": ">",
                                                                 "value": 100}})
    store = LocalBlobStore(tmp_path / "out")
    result = run(pipeline, {"t": table}, store=store, temp_dir=tmp_path)
    out = str(store.local_path(result.output.sha256))
    assert result.row_count == 0 and result.sample_rows == ()
    con = duckdb.connect()
    described = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [out]).fetchall()
    assert [row[:2] for row in described] == [("id", "BIGINT"), ("v", "BIGINT")]
    assert con.execute("SELECT count(*) FROM read_parquet(?)", [out]).fetchone() == (0,)
