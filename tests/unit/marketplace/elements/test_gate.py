"""The publish gate's quality profile: exact distinct counts up to a row threshold, HyperLogLog
estimates above it, and the same scores either way (no score depends on distinct counts)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from marketplace.elements import gate


@pytest.fixture
def parquet(tmp_path: Path) -> Path:
    path = tmp_path / "t.parquet"
    duckdb.connect().execute(
        f"COPY (SELECT i AS id, 'd' || (i % 7) AS district, CASE WHEN i % 10 = 0 THEN NULL "
        f"ELSE '13812345' || lpad(CAST(i % 1000 AS VARCHAR), 3, '0') END AS mobile "
        f"FROM range(5000) r(i)) TO '{path}' (FORMAT parquet)")
    return path


COLUMNS = [("id", "BIGINT"), ("district", "VARCHAR"), ("mobile", "VARCHAR")]


def _distinct(report: dict) -> dict[str, tuple[int, bool]]:
    return {c["name"]: (c["distinct"], c["distinct_exact"]) for c in report["columns"]}


def test_distinct_counts_are_exact_below_the_threshold_and_estimated_above(
        parquet: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    exact = gate.quality(parquet, COLUMNS, {}, rows=5000)
    # mobile: i % 10 == 0 is NULL, so 900 distinct non-null values
    assert _distinct(exact) == {"id": (5000, True), "district": (7, True), "mobile": (900, True)}
    monkeypatch.setattr(gate, "EXACT_DISTINCT_ROWS", 4999)
    estimated = gate.quality(parquet, COLUMNS, {}, rows=5000)
    for name, (n, is_exact) in _distinct(estimated).items():
        assert not is_exact
        assert abs(n - _distinct(exact)[name][0]) <= 0.05 * _distinct(exact)[name][0]
    assert estimated["score"] == exact["score"]
    assert [c["id"] for c in estimated["checks"]] == [c["id"] for c in exact["checks"]]


def test_scan_reads_dictionary_and_plain_columns_alike(tmp_path: Path) -> None:
    """The GLOB pretest of dictionary-encoded columns selects the rows the regex alone does."""
    notes = ["联系电话13812345678", "张女士来电", "川F12345 停车", "a@b.cn", "1234-5678-9012",
             "无", "", None, "订单号123456", "我叫李四"]
    path = tmp_path / "s.parquet"
    con = duckdb.connect()
    con.execute(f"COPY (SELECT ($notes)[1 + i % {len(notes)}] AS dict, ($notes)[1 + i % "
                f"{len(notes)}] || CASE WHEN i % {len(notes)} = 7 THEN NULL ELSE '' END || "
                f"CAST(i AS VARCHAR) AS plain FROM range(3000) r(i)) TO '{path}' "
                "(FORMAT parquet, ROW_GROUP_SIZE 1024)", {"notes": notes})
    encodings = dict(con.execute(f"SELECT path_in_schema, max(encodings) FROM "
                                 f"parquet_metadata('{path}') GROUP BY ALL").fetchall())
    assert "DICTIONARY" in encodings["dict"] and "DICTIONARY" not in encodings["plain"]
    assert gate._dictionary_columns(con, path) == {"dict"}
    report = gate.scan_output(path, [("dict", "VARCHAR"), ("plain", "VARCHAR")], {})
    regex_only = {c: gate.scan_values(gate._candidates(con, path, c, False))
                  for c in ("dict", "plain")}
    for column, expected in regex_only.items():
        assert report[column]["rows_with_hits"] == expected.rows_with_hits > 0
        assert report[column]["counts"] == dict(expected.counts)
        assert report[column]["examples"] == [list(e) for e in expected.examples]
    assert report["dict"]["kinds"] == ["mobile", "email", "plate", "name"]
