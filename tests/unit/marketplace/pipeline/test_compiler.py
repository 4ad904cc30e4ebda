"""The DuckDB compiler (issue 4 §2): injection attempts stay inert data, HMAC-SHA256 in SQL equals
RFC 4231 and ``desensitise.keyed_hash``, every SQL de-identification function equals its Python
original in :mod:`marketplace.pipeline.desensitise`, the validator's schema is DuckDB's, and
inputs are read with their recorded types."""

from __future__ import annotations

import csv
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
import sqlglot
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlglot import exp

from marketplace.assets.facts import Column
from marketplace.pipeline import desensitise as d
from marketplace.pipeline.compiler import (
    CompiledPipeline,
    InputTable,
    compile_pipeline,
    duckdb_planner,
    input_table,
)
from marketplace.pipeline.spec import FORMAT, load_spec
from marketplace.pipeline.steps.base import CompileContext
from marketplace.pipeline.steps.sqlfns import hmac_hex, hmac_keys

SECRET = bytes(range(100, 132))
VERSIONS = ("ver_aaaaaaaaaaaaaaaa", "ver_bbbbbbbbbbbbbbbb")
TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"),
               max_size=30)


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


CON = duckdb.connect()  # one per test process: connecting costs ~35 ms


def write_table(path: Path, columns: list[tuple[str, str]], rows: list[tuple[Any, ...]]
                ) -> InputTable:
    """A Parquet input with exactly these DuckDB types (test helper)."""
    con = CON
    con.execute("CREATE OR REPLACE TABLE t (" + ", ".join(f"{q(n)} {t}" for n, t in columns)
                + ")")
    for i in range(0, len(rows), 500):
        chunk = rows[i:i + 500]
        marks = ", ".join("(" + ", ".join("?" * len(columns)) + ")" for _ in chunk)
        con.execute(f"INSERT INTO t VALUES {marks}", [v for row in chunk for v in row])
    con.execute(f"COPY t TO '{path}' (FORMAT parquet)")
    return InputTable(path, "parquet", tuple(Column(n, t) for n, t in columns), "0" * 64,
                      len(rows))


def compile_doc(steps: list[dict[str, Any]], tables: dict[str, InputTable],
                element: dict[str, Any] | None = None,
                con: duckdb.DuckDBPyConnection | None = None) -> CompiledPipeline:
    inputs = [{"alias": a, "version_id": v} for a, v in zip(tables, VERSIONS, strict=False)]
    known = {v: t.columns for t, v in zip(tables.values(), VERSIONS, strict=False)}
    doc = {"format": FORMAT, "inputs": inputs, "steps": steps,
           "element": element or {"title": "test"}}
    return compile_pipeline(load_spec(doc, known), tables, secret=SECRET,
                            planner=duckdb_planner(con or CON))


def execute(steps: list[dict[str, Any]], tables: dict[str, InputTable],
            element: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
    con = CON
    compiled = compile_doc(steps, tables, element, con)
    return con.execute(compiled.sql, dict(compiled.params) or None).fetchall()


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("compiler")


_counter = iter(range(10**9))


def fresh(work: Path) -> Path:
    return work / f"in{next(_counter)}.parquet"


# RFC 4231 §4.2-§4.8, HMAC-SHA-256 (test case 5, a truncated output, is left out).
RFC4231 = [
    (b"\x0b" * 20, b"Hi There",
     "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
    (b"Jefe", b"what do ya want for nothing?",
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
    (b"\xaa" * 20, b"\xdd" * 50,
     "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
    (bytes(range(1, 26)), b"\xcd" * 50,
     "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
    (b"\xaa" * 131, b"Test Using Larger Than Block-Size Key - Hash Key First",
     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
    (b"\xaa" * 131, b"This is a test using a larger than block-size key and a larger than "
     b"block-size data. The key needs to be hashed before being used by the HMAC algorithm.",
     "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
]


@pytest.mark.parametrize(("key", "data", "expected"), RFC4231)
def test_hmac_in_sql_matches_rfc4231(key: bytes, data: bytes, expected: str) -> None:
    ipad, opad = hmac_keys(key)
    sql = exp.select(hmac_hex(exp.Placeholder(this="data"), CompileContext({}, {}))).sql("duckdb")
    row = CON.execute(sql, {"data": data, "elx_ipad": ipad, "elx_opad": opad})
    assert row.fetchone() == (expected,)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(TEXT, st.integers(-(2**63), 2**63 - 1)), min_size=1, max_size=20))
def test_keyed_hash_and_tokens_in_sql_equal_desensitise(work: Path,
                                                        rows: list[tuple[str, int]]) -> None:
    table = write_table(fresh(work), [("s", "VARCHAR"), ("s2", "VARCHAR"), ("n", "BIGINT")],
                        [(s, s, n) for s, n in rows])
    out = execute([{"type": "keyed_hash", "columns": ["s", "n"]},
                   {"type": "tokenise", "columns": ["s2"]}], {"t": table})
    expected = [(d.keyed_hash(s, SECRET), d.tokenise(s, SECRET), d.keyed_hash(n, SECRET))
                for s, n in rows]
    assert sorted(out) == sorted(expected)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.one_of(st.none(), TEXT), min_size=1, max_size=20),
       st.integers(0, 4), st.integers(0, 4), st.sampled_from("*#某"))
def test_mask_in_sql_equals_desensitise(work: Path, values: list[str | None], first: int,
                                        last: int, char: str) -> None:
    table = write_table(fresh(work), [("v", "VARCHAR")], [(v,) for v in values])
    out = execute([{"type": "mask", "columns": ["v"], "keep_first": first, "keep_last": last,
                    "char": char}], {"t": table})
    assert sorted(out, key=repr) == sorted([(d.mask(v, first, last, char),) for v in values],
                                           key=repr)


ADDRESS = st.text(max_size=16, alphabet="四川省成都市武侯区德阳旌罗江县广汉什邡绵竹中"
                                        "北京天津路街道号自治州地盟旗 1a")
GENERALISE = [
    {"type": "generalise", "column": "age", "method": "age_band", "width": 10},
    {"type": "generalise", "column": "fage", "method": "age_band", "width": 5},
    {"type": "generalise", "column": "amount", "method": "number_bucket", "width": 0.5},
    {"type": "generalise", "column": "n", "method": "number_bucket", "width": 100},
    {"type": "generalise", "column": "day", "method": "date_to_month"},
    {"type": "generalise", "column": "ts", "method": "date_to_year"},
    {"type": "generalise", "column": "addr", "method": "address_to_district"},
]
ROW = st.tuples(st.integers(0, 120), st.floats(0, 150), st.decimals(-10**6, 10**6, places=3),
                st.integers(-(10**12), 10**12), st.dates(dt.date(1, 1, 1)), st.datetimes(),
                ADDRESS)


@settings(max_examples=15, deadline=None)
@given(st.lists(ROW, min_size=1, max_size=15))
def test_generalisation_in_sql_equals_desensitise(work: Path, rows: list[tuple[Any, ...]]
                                                  ) -> None:
    columns = [("age", "BIGINT"), ("fage", "DOUBLE"), ("amount", "DECIMAL(18,3)"),
               ("n", "BIGINT"), ("day", "DATE"), ("ts", "TIMESTAMP"), ("addr", "VARCHAR")]
    out = execute(GENERALISE, {"t": write_table(fresh(work), columns, rows)})
    expected = [(d.age_band(a, 10), d.age_band(f, 5), d.number_bucket(m, 0.5),
                 d.number_bucket(n, 100), d.date_to_month(day), d.date_to_year(ts),
                 d.address_to_district(addr)) for a, f, m, n, day, ts, addr in rows]
    assert sorted(out, key=repr) == sorted(expected, key=repr)


def test_address_generalisation_on_demo_addresses(work: Path) -> None:
    from marketplace.demo import generate
    addresses = [row["address"] for row in generate("enterprises", 300).dicts()]
    addresses += ["德阳市罗江县万安镇", "北京市朝阳区建国路1号", "四川省德阳市", "天山南路274号",
                  "  内蒙古自治区呼和浩特市回民区", "新疆维吾尔自治区伊犁哈萨克自治州伊宁市"]
    table = write_table(fresh(work), [("addr", "VARCHAR")], [(a,) for a in addresses])
    out = execute([GENERALISE[-1]], {"t": table})
    assert sorted(out, key=repr) == sorted([(d.address_to_district(a),) for a in addresses],
                                           key=repr)
    assert {"旌阳区", "罗江区", "北京市朝阳区", "四川省德阳市", None} <= {v for (v,) in out}


def test_negative_ages_are_banded_to_null(work: Path) -> None:
    table = write_table(fresh(work), [("age", "INTEGER")], [(-1,), (0,), (None,)])
    assert sorted(execute([GENERALISE[0]], {"t": table}), key=repr) == [
        ("0-9",), (None,), (None,)]


def _halfwidth(s: str) -> str:
    return "".join(" " if c == "\u3000" else chr(ord(c) - 0xFEE0) if "！" <= c <= "～" else c
                   for c in s)


def _iso(s: str) -> str:
    import re
    m = re.fullmatch(r"([0-9]{4})[-/.年]([0-9]{1,2})[-/.月]([0-9]{1,2})日?", s)
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3])).isoformat() if m else s
    except ValueError:
        return s


NORMAL = st.one_of(TEXT, st.builds("{}{}{}年{}月{}日{}".format,
                                   st.sampled_from(["", " ", "\u3000"]),
                                   st.integers(1000, 2999), st.sampled_from(["", "0"]),
                                   st.integers(0, 13), st.integers(0, 32),
                                   st.sampled_from(["", "\t", "\u2003"])),
                   st.builds("{}/{}/{}".format, st.integers(1000, 2999), st.integers(1, 12),
                             st.integers(1, 31)),
                   st.text(alphabet="０１２３ＡＢｚ！～\u3000 -/", max_size=12))


@settings(max_examples=25, deadline=None)
@given(st.lists(NORMAL, min_size=1, max_size=15))
def test_normalise_text_equals_a_python_reference(work: Path, values: list[str]) -> None:
    table = write_table(fresh(work), [("v", "VARCHAR")], [(v,) for v in values])
    out = execute([{"type": "normalise_text", "columns": ["v"],
                    "ops": ["iso_date", "trim", "halfwidth"]}], {"t": table})
    assert sorted(out) == sorted((_iso(_halfwidth(v).strip()),) for v in values)


HOSTILE_NAME = 'x"; DROP TABLE t; --'


def test_hostile_names_and_values_stay_inert_data(tmp_path: Path) -> None:
    pwned = tmp_path / "pwned.csv"
    hostile = f"'); COPY (SELECT 1) TO '{pwned}'; --"
    path = tmp_path / "in.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["id", HOSTILE_NAME, "it's"])
        writer.writerows([[1, hostile, "a"], [2, "plain", ""], [3, "\\'; SELECT 2; --", "b"]])
    table = input_table(path, "csv", [("id", "BIGINT"), (HOSTILE_NAME, "VARCHAR"),
                                      ("it's", "VARCHAR")], "0" * 64)
    steps = [
        {"type": "filter", "where": {"or": [{"col": HOSTILE_NAME, "op": "=", "value": hostile},
                                            {"col": "it's", "op": "is_null"}]}},
        {"type": "fill_nulls", "values": {"it's": hostile}},
        {"type": "rename", "columns": {"it's": "'); DROP TABLE x; --", "id": HOSTILE_NAME + "2"}},
    ]
    con = duckdb.connect()
    compiled = compile_doc(steps, {"t": table}, con=con)
    assert len(sqlglot.parse(compiled.sql, read="duckdb")) == 1
    assert isinstance(sqlglot.parse_one(compiled.sql, read="duckdb"), exp.Select)
    rows = con.execute(compiled.sql).fetchall()
    described = [r[0] for r in con.execute("DESCRIBE " + compiled.sql).fetchall()]
    assert described == [HOSTILE_NAME + "2", HOSTILE_NAME, "'); DROP TABLE x; --"]
    assert rows == [(1, hostile, "a"), (2, "plain", hostile)]
    assert not pwned.exists()


def test_the_secret_is_a_parameter_never_sql_text(work: Path) -> None:
    table = write_table(fresh(work), [("s", "VARCHAR")], [("a",)])
    compiled = compile_doc([{"type": "keyed_hash", "columns": ["s"]}], {"t": table})
    ipad, opad = hmac_keys(SECRET)
    assert compiled.params == {"elx_ipad": ipad, "elx_opad": opad}
    assert ipad.hex() not in compiled.sql and SECRET.hex() not in compiled.sql
    assert "$elx_ipad" in compiled.sql


EVERY_STEP = [
    {"type": "join", "input": "r", "on": {"k": "k"}, "how": "left"},
    {"type": "normalise_text", "columns": ["s"], "ops": ["trim"]},
    {"type": "cast", "columns": {"small": "DECIMAL(10,2)"}, "on_error": "null"},
    {"type": "fill_nulls", "values": {"f": 0.5}},
    {"type": "filter", "where": {"col": "day", "op": ">=", "value": "2000-01-01"}},
    {"type": "drop_nulls", "columns": ["k"]},
    {"type": "dedupe", "columns": ["k"]},
    {"type": "sample", "seed": 1, "fraction": 0.9},
    {"type": "generalise", "column": "day", "method": "date_to_month", "as": "month"},
    {"type": "mask", "columns": ["k"], "keep_first": 1},
    {"type": "tokenise", "columns": ["s"]},
    {"type": "redact_pii", "columns": ["label"]},
    {"type": "suppress", "columns": ["f"], "mode": "null"},
    {"type": "rename", "columns": {"label": "lbl"}},
    {"type": "aggregate", "group_by": ["month", "lbl"], "aggregations": [
        {"fn": "count", "as": "n"}, {"fn": "sum", "column": "small", "as": "s_small"},
        {"fn": "sum", "column": "i", "as": "s_i"}, {"fn": "avg", "column": "f", "as": "a_f"},
        {"fn": "sum", "column": "f", "as": "s_f"}, {"fn": "min", "column": "s", "as": "min_s"},
        {"fn": "count_distinct", "column": "k", "as": "keys"}]},
    {"type": "select", "columns": ["n", "month", "s_small", "s_i", "a_f", "s_f", "min_s",
                                   "keys", "lbl"]},
]


def test_the_validators_schema_is_what_duckdb_produces(work: Path) -> None:
    main = write_table(fresh(work), [("k", "VARCHAR"), ("s", "VARCHAR"), ("small", "INTEGER"),
                                     ("i", "SMALLINT"), ("f", "FLOAT"), ("day", "DATE")],
                       [("a", " x ", 3, 4, 1.5, dt.date(2024, 5, 6))])
    right = write_table(fresh(work), [("k", "VARCHAR"), ("label", "VARCHAR")], [("a", "L")])
    for n in range(1, len(EVERY_STEP) + 1):
        con = CON
        compiled = compile_doc(EVERY_STEP[:n], {"t": main, "r": right}, con=con)
        described = con.execute("DESCRIBE " + compiled.sql, dict(compiled.params) or None)
        assert [(c.name, c.type) for c in compiled.schema.columns] == [
            (row[0], row[1]) for row in described.fetchall()], EVERY_STEP[n - 1]


def test_inputs_of_each_format_read_the_same_with_recorded_types(tmp_path: Path) -> None:
    rows = [{"id": 1, "day": "2024-03-05", "name": "张三"},
            {"id": 2, "day": "2024-12-31", "name": None}]
    columns = [("id", "BIGINT"), ("day", "DATE"), ("name", "VARCHAR")]
    (tmp_path / "in.csv").write_text("id,day,name\n1,2024-03-05,张三\n2,2024-12-31,\n",
                                     encoding="utf-8")
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n"
                                               for r in rows), encoding="utf-8")
    parquet = write_table(tmp_path / "in.parquet", columns,
                          [(r["id"], dt.date.fromisoformat(r["day"]), r["name"]) for r in rows])
    outputs = [execute([], {"t": input_table(tmp_path / f"in.{fmt}", fmt, columns, "0" * 64)})
               for fmt in ("csv", "jsonl")] + [execute([], {"t": parquet})]
    assert outputs[0] == outputs[1] == outputs[2] == [
        (1, dt.date(2024, 3, 5), "张三"), (2, dt.date(2024, 12, 31), None)]


def test_a_late_bad_value_fails_instead_of_changing_the_type(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text("id,v\n" + "".join(f"{i},{i}\n" for i in range(30_000)) + "x,oops\n")
    table = input_table(path, "csv", [("id", "BIGINT"), ("v", "BIGINT")], "0" * 64)
    with pytest.raises(duckdb.ConversionException):
        execute([{"type": "aggregate", "aggregations": [{"fn": "sum", "column": "v",
                                                         "as": "s"}]}], {"t": table})


def test_dates_in_a_sniffed_format_read_back(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text("d;amount\n05/03/2024;1.5\n31/12/2024;2\n", encoding="utf-8")
    table = input_table(path, "csv", [("d", "DATE"), ("amount", "DOUBLE")], "0" * 64)
    assert table.delimiter == ";" and table.date_format == "%d/%m/%Y"
    assert execute([], {"t": table}) == [(dt.date(2024, 3, 5), 1.5), (dt.date(2024, 12, 31), 2.0)]


def test_decimal_buckets_are_exact(work: Path) -> None:
    values = [Decimal("0.3"), Decimal("-0.3"), Decimal("123456789012.345"), Decimal("0")]
    table = write_table(fresh(work), [("x", "DECIMAL(18,3)")], [(v,) for v in values])
    out = execute([{"type": "generalise", "column": "x", "method": "number_bucket",
                    "width": 0.1}], {"t": table})
    assert sorted(out) == sorted((d.number_bucket(v, "0.1"),) for v in values)
    assert ("[0.3, 0.4)",) in out and ("[-0.3, -0.2)",) in out
