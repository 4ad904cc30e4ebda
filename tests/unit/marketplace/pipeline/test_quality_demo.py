"""The quality profile on the demo datasets (marketplace.demo), written to CSV and loaded into
Parquet by DuckDB as ingestion does.  Every count in the report is compared with an
independent Python computation over the same rows (plain loops, the demo's own GB 32100 /
GB 11643 validators, ``re`` and ``datetime``), after corrupting known rows."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from marketplace.demo import DATASETS, Table, generate, is_valid_uscc, write_csv
from marketplace.demo.parking import PLATE_RE
from marketplace.pipeline.desensitise import DEYANG_DISTRICTS
from marketplace.pipeline.quality import QualityReport, QualityRules, profile
from marketplace.pipeline.quality_report import mask_example

DUCKDB_TYPE = {"string": "VARCHAR", "integer": "BIGINT", "decimal": "DOUBLE", "date": "DATE",
               "month": "VARCHAR", "timestamp": "TIMESTAMP"}
BLANK = " \t\n\r\f\u3000"
Row = tuple[Any, ...]


def _parquet(tmp_path: Path, dataset: str, rows: list[Row], typed: bool) -> tuple[Path, list]:
    """CSV (demo writer) → Parquet (DuckDB), typed per the demo schema or all VARCHAR."""
    spec = DATASETS[dataset]
    cols = [(c.name, DUCKDB_TYPE[c.type] if typed else "VARCHAR") for c in spec.columns]
    csv, out = tmp_path / f"{dataset}.csv", tmp_path / f"{dataset}.parquet"
    write_csv(Table(spec.column_names, iter(rows)), csv)
    types = "{" + ", ".join(f"'{n}': '{t}'" for n, t in cols) + "}"
    with duckdb.connect() as con:
        con.execute(f"COPY (SELECT * FROM read_csv('{csv}', header = true, columns = {types})) "
                    f"TO '{out}' (FORMAT parquet)")
    return out, cols


def _missing(v: object) -> bool:
    return v is None or (isinstance(v, str) and v.strip(BLANK) == "")


def _failures(rows: Sequence[Row], j: int, applies: Callable[[Any], bool],
              ok: Callable[[Any], bool]) -> tuple[int, int, list[Any]]:
    values = [r[j] for r in rows if applies(r[j])]
    bad = [v for v in values if not ok(v)]
    return len(values), len(bad), bad


def _assert_check(report: QualityReport, check_id: str, n: int, failures: int,
                  bad: Sequence[object] | None = None) -> None:
    check = report.check(check_id)
    assert (check.n, check.failures) == (n, failures), check_id
    if bad is not None:  # the smallest distinct failing texts, masked
        expected = sorted({str(v) for v in bad})[:5]
        assert check.examples == tuple(mask_example(v) for v in expected), check_id


def _common(report: QualityReport, rows: Sequence[Row], names: Sequence[str]) -> None:
    """Completeness and duplicate rows, which every report has."""
    assert report.rows == len(rows)
    for j, name in enumerate(names):
        _assert_check(report, f"completeness.{name}", len(rows),
                      sum(_missing(r[j]) for r in rows))
        profile_ = report.columns[j]
        assert profile_.nulls == sum(r[j] is None for r in rows)
        assert profile_.distinct == len({r[j] for r in rows if r[j] is not None})
    _assert_check(report, "completeness.row", len(rows),
                  sum(any(_missing(v) for v in r) for r in rows))
    _assert_check(report, "uniqueness.duplicate_rows", len(rows), len(rows) - len(set(rows)))


def _groups(rows: Sequence[Row], key: Sequence[int], value: int) -> tuple[int, int]:
    seen: dict[tuple, set] = defaultdict(set)
    for r in rows:
        k = tuple(r[i] for i in key)
        if None not in k:
            seen[k].update({r[value]} - {None})
    return len(seen), sum(len(v) > 1 for v in seen.values())


def test_utility_readings(tmp_path: Path) -> None:
    rows = list(generate("utility_readings", 3600).rows)  # 100 households × 36 months
    rows += [rows[5], rows[700], rows[700]]  # duplicate rows, and so duplicate keys
    hid, district, *_ = rows[40]
    other = next(d for d in DEYANG_DISTRICTS if d != district)
    rows[40] = (hid, other, *rows[40][2:])  # one household now in two districts
    rows[100] = ("51060x00000003", *rows[100][1:])
    rows[200] = (*rows[200][:2], "2024-13", *rows[200][3:])
    names = DATASETS["utility_readings"].column_names
    total_kwh = sum(r[4] for r in rows if r[4] is not None)
    total_water = sum(Decimal(str(r[3])) for r in rows if r[3] is not None)
    rules = QualityRules.from_json({
        "as_of": "2025-12-31", "semantic_types": {"month": "month"},
        "patterns": {"household_id": "5106[0-9]{10}"},
        "unique_keys": [["household_id", "month"]],
        "consistency": [{"rule": "same_value", "key": ["household_id"], "value": "district"}],
        "timeliness": {"column": "month", "window_days": 365},
        "accuracy": [
            {"rule": "range", "column": "water_m3", "min": 0, "max": 100},
            {"rule": "range", "column": "electricity_kwh", "min": 1},
            {"rule": "range", "column": "gas_m3", "min": 0},
            {"rule": "total", "column": "electricity_kwh", "expected": total_kwh},
            {"rule": "total", "column": "water_m3", "expected": float(total_water) * 1.1,
             "tolerance": 0.05},
        ],
    })
    path, cols = _parquet(tmp_path, "utility_readings", rows, typed=True)
    report = profile(path, columns=cols, rules=rules)
    _common(report, rows, names)
    keys = Counter((r[0], r[2]) for r in rows)
    _assert_check(report, "unique_keys[0]", len(rows), sum(keys.values()) - len(keys))
    assert report.check("unique_keys[0]").failures == 3
    assert report.check("unique_keys[0]").examples  # the duplicated keys, masked
    _assert_check(report, "consistency[0]", *_groups(rows, (0,), 1))
    assert report.check("consistency[0]").failures == 1
    present = lambda v: not _missing(v)  # noqa: E731
    _assert_check(report, "patterns.household_id",
                  *_failures(rows, 0, present, lambda v: re.fullmatch("5106[0-9]{10}", v)))
    _assert_check(report, "semantic_types.month",
                  *_failures(rows, 2, present, lambda v: re.fullmatch(r"\d{4}-(0[1-9]|1[012])", v)))
    # The demo plants ~1.5 % nulls, negative readings and zeros for occupied homes.
    assert 0.005 < report.columns[3].nulls / len(rows) < 0.03
    not_null = lambda v: v is not None  # noqa: E731
    water = _failures(rows, 3, not_null, lambda v: 0 <= v <= 100)
    _assert_check(report, "accuracy[0]", *water)
    _assert_check(report, "accuracy[1]", *_failures(rows, 4, not_null, lambda v: v >= 1))
    _assert_check(report, "accuracy[2]", *_failures(rows, 5, not_null, lambda v: v >= 0))
    assert water[1] > 0 and report.check("accuracy[1]").failures > 0
    kwh, water_total = report.check("accuracy[3]"), report.check("accuracy[4]")
    assert (kwh.n, kwh.failures, dict(kwh.detail)["actual"]) == (1, 0, total_kwh)
    assert (water_total.failures, dict(water_total.detail)["actual"]) == (1, float(total_water))
    # Timeliness: months are read as their first day; fresh = within 365 days up to as_of.
    cutoff = dt.datetime(2026, 1, 1)
    starts = [dt.datetime.strptime(r[2], "%Y-%m") for r in rows if r[2] != "2024-13"]
    fresh = sum(cutoff - dt.timedelta(days=365) <= s < cutoff for s in starts)
    _assert_check(report, "timeliness", len(starts), len(starts) - fresh)
    detail = dict(report.check("timeliness").detail)
    assert detail["max_lag_days"] == (dt.date(2025, 12, 31) - max(starts).date()).days == 30
    assert detail["future_rows"] == 0


def test_parking(tmp_path: Path) -> None:
    rows = list(generate("parking", 53 * 100).rows)  # 53 lots × 100 quarter-hours
    for i in range(0, len(rows), 97):
        rows[i] = (*rows[i][:5], None, rows[i][6])  # sensor offline
    for i in range(5, len(rows), 211):
        rows[i] = (*rows[i][:5], rows[i][4] + 3, rows[i][6])  # more cars than spaces
    names = DATASETS["parking"].column_names
    rules = QualityRules.from_json({
        "as_of": "2025-03-01", "unique_keys": [["lot_id", "ts"]],
        "patterns": {"last_plate": PLATE_RE.pattern},
        "consistency": [{"rule": "le", "left": "occupied", "right": "capacity"},
                        {"rule": "same_value", "key": "lot_id", "value": "capacity"},
                        {"rule": "same_value", "key": ["lot_id"], "value": "lot_name"}],
        "timeliness": {"column": "ts", "window_days": 1},
        "accuracy": [{"rule": "allowed", "column": "district", "values": list(DEYANG_DISTRICTS)},
                     {"rule": "range", "column": "occupied", "min": 0}],
    })
    path, cols = _parquet(tmp_path, "parking", rows, typed=True)
    report = profile(path, columns=cols, rules=rules)
    _common(report, rows, names)
    assert report.columns[5].nulls >= len(rows) // 97
    _assert_check(report, "unique_keys[0]", len(rows), 0)
    both = [(r[5], r[4]) for r in rows if r[5] is not None]
    over = [f"occupied={mask_example(str(o))}; capacity={mask_example(str(c))}"
            for o, c in sorted({(str(o), str(c)) for o, c in both if o > c})[:5]]
    check = report.check("consistency[0]")
    assert (check.n, check.failures) == (len(both), sum(o > c for o, c in both))
    assert check.failures >= 20 and check.examples == tuple(over)
    _assert_check(report, "consistency[1]", *_groups(rows, (0,), 4))
    _assert_check(report, "consistency[2]", *_groups(rows, (0,), 1))
    _assert_check(report, "patterns.last_plate",
                  *_failures(rows, 6, lambda v: not _missing(v), PLATE_RE.fullmatch))
    _assert_check(report, "accuracy[0]",
                  *_failures(rows, 2, lambda v: not _missing(v), DEYANG_DISTRICTS.__contains__))
    _assert_check(report, "accuracy[1]", len(both), 0)
    stamps = [dt.datetime.fromisoformat(r[3]) for r in rows]
    cutoff = dt.datetime(2025, 3, 2)
    future = sum(s >= cutoff for s in stamps)
    assert future > 0
    _assert_check(report, "timeliness", len(stamps),
                  len(stamps) - sum(cutoff - dt.timedelta(days=1) <= s < cutoff for s in stamps))
    assert dict(report.check("timeliness").detail)["future_rows"] == future
    assert dict(report.check("timeliness").detail)["max_lag_days"] == -1


def _csv_text(v: object) -> str | None:
    return None if v is None else str(v)  # what csv.writer writes for a demo value


def _iso_date(v: str) -> bool:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
        return False
    try:
        dt.date.fromisoformat(v)
    except ValueError:
        return False
    return True


def test_enterprises_read_as_text(tmp_path: Path) -> None:
    raw = list(generate("enterprises", 3000).rows)
    rows = [tuple(_csv_text(v) for v in r) for r in raw]
    for i in range(3, len(rows), 50):  # a wrong check character
        code = rows[i][0]
        wrong = next(c for c in "0123456789ABCDEFGHJKLMNPQRTUWXY" if c != code[17])
        rows[i] = (code[:17] + wrong, *rows[i][1:])
    rows[7] = (rows[7][0].lower(), *rows[7][1:])
    rows[9] = (*rows[9][:4], "2019-02-29", *rows[9][5:])
    rows[11] = (*rows[11][:3], "十万", *rows[11][4:])
    rows[13] = (*rows[13][:8], "未知", rows[13][9])
    rows[15] = (rows[15][0], rows[15][1], "\u3000\u3000", *rows[15][3:])
    rows.append(rows[20])
    names = DATASETS["enterprises"].column_names
    rules = QualityRules.from_json({
        "semantic_types": {"uscc": "uscc", "established_on": "date",
                           "registered_capital": "number"},
        "unique_keys": ["uscc"],
        "accuracy": [{"rule": "allowed", "column": "status",
                      "values": ["存续", "在业", "注销", "吊销"]}],
    })
    path, cols = _parquet(tmp_path, "enterprises", rows, typed=False)
    report = profile(path, columns=cols, rules=rules)
    _common(report, rows, names)
    assert report.columns[2].blanks == 1
    present = lambda v: not _missing(v)  # noqa: E731
    uscc = _failures(rows, 0, present, is_valid_uscc)
    assert uscc[1] == len(range(3, 3000, 50)) + 1  # every corrupted code, and only those
    _assert_check(report, "semantic_types.uscc", *uscc)
    _assert_check(report, "semantic_types.established_on",
                  *_failures(rows, 4, present, _iso_date))
    number = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
    capital = _failures(rows, 3, present, number.fullmatch)
    assert capital[1] == 1
    _assert_check(report, "semantic_types.registered_capital", *capital)
    _assert_check(report, "unique_keys[0]", len(rows), len(rows) - len({r[0] for r in rows}))
    status = _failures(rows, 8, present, {"存续", "在业", "注销", "吊销"}.__contains__)
    _assert_check(report, "accuracy[0]", *status)


@pytest.mark.parametrize("dataset", ["enterprises", "parking"])
def test_examples_never_show_a_failing_value(tmp_path: Path, dataset: str) -> None:
    rows = [tuple(_csv_text(v) for v in r) for r in generate(dataset, 300).rows]
    names = DATASETS[dataset].column_names
    rules = QualityRules.from_json({"patterns": {n: "x" for n in names},
                                    "unique_keys": [[names[2]]]})
    path, cols = _parquet(tmp_path, dataset, rows, typed=False)
    report = profile(path, columns=cols, rules=rules)
    values = {v for r in rows for v in r if v is not None}
    shown = [e for c in report.checks for e in c.examples]
    assert len(shown) >= 5 * len(names)
    for example in shown:
        for piece in example.split("; "):
            text = piece.split("=", 1)[-1]
            assert text not in values and text.count("*") >= len(text) / 2, example
