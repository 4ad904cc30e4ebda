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
