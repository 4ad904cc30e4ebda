"""Determinism, streaming and serialisation of the demo datasets: CSV in utf-8/utf-8-sig/
GBK/GB 18030 read back with the csv module, JSON Lines read back with json."""

from __future__ import annotations

import codecs
import csv
import io
import json
import random
from itertools import islice
from pathlib import Path

import faker.generator
import pytest

from marketplace.demo import DATASETS, generate, write_csv, write_jsonl
from marketplace.demo.pools import pools

NAMES = sorted(DATASETS)
ENCODINGS = ("utf-8", "utf-8-sig", "gbk", "gb18030")
ROWS = 400


def _csv_bytes(name: str, rows: int, seed: int, encoding: str = "utf-8") -> bytes:
    buf = io.BytesIO()
    written = write_csv(generate(name, rows, seed), buf, encoding)
    assert written == len(buf.getvalue())
    return buf.getvalue()


def _as_csv_text(value: object) -> str:
    return "" if value is None else str(value)


def test_the_four_datasets_are_registered_with_their_columns() -> None:
    assert NAMES == ["enterprises", "hotline", "parking", "utility_readings"]
    for spec in DATASETS.values():
        assert spec.column_names == generate(spec.name, 0).columns
        assert all(c.name.isidentifier() and c.name.isascii() for c in spec.columns)
        assert len(set(spec.column_names)) == len(spec.columns)


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_bytes_other_seed_other_bytes(name: str) -> None:
    first = _csv_bytes(name, ROWS, seed=11)
    random.seed(12345)  # the global state must not matter …
    assert _csv_bytes(name, ROWS, seed=11) == first
    assert _csv_bytes(name, ROWS, seed=12) != first


def test_faker_pools_are_rebuilt_identically_from_the_seed() -> None:
    first = pools(11)
    pools.cache_clear()
    assert pools(11) == first
    assert pools(12).names != first.names


@pytest.mark.parametrize("name", NAMES)
def test_generation_leaves_global_random_states_alone(name: str) -> None:
    pools.cache_clear()  # so the Faker pools are drawn inside this test
    random.seed(99)
    faker.generator.random.seed(99)
    before = (random.getstate(), faker.generator.random.getstate())
    for _ in generate(name, 200, seed=31).rows:
        pass
    assert (random.getstate(), faker.generator.random.getstate()) == before


@pytest.mark.parametrize("name", NAMES)
def test_rows_stream_and_a_short_table_is_a_prefix_of_a_long_one(name: str) -> None:
    endless = generate(name, None, seed=11).rows
    head = list(islice(endless, 300))
    assert head == list(generate(name, 300, seed=11).rows)
    assert list(generate(name, 120, seed=11).rows) == head[:120]
    assert next(endless) is not None  # still going


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("name", NAMES)
def test_csv_round_trips_in_every_encoding(name: str, encoding: str) -> None:
    rows = list(generate(name, ROWS, seed=11).rows)
    data = _csv_bytes(name, ROWS, 11, encoding)
    assert data.startswith(codecs.BOM_UTF8) == (encoding == "utf-8-sig")
    assert data.count(codecs.BOM_UTF8) == (1 if encoding == "utf-8-sig" else 0)
    parsed = list(csv.reader(io.StringIO(data.decode(encoding), newline="")))
    assert tuple(parsed[0]) == DATASETS[name].column_names
    assert len(parsed) == ROWS + 1
    width = len(parsed[0])
    assert all(len(r) == width for r in parsed)
    assert parsed[1:] == [[_as_csv_text(v) for v in row] for row in rows]


@pytest.mark.parametrize("name", NAMES)
def test_gbk_output_really_is_gbk_not_utf8(name: str) -> None:
    gbk = _csv_bytes(name, 50, 11, "gbk")
    assert gbk != _csv_bytes(name, 50, 11, "utf-8")
    with pytest.raises(UnicodeDecodeError):
        gbk.decode("utf-8")


def test_every_string_of_a_larger_sample_encodes_in_gbk() -> None:
    for name in NAMES:
        for row in generate(name, 3000, seed=11).rows:
            for value in row:
                if isinstance(value, str):
                    value.encode("gbk")  # raises if any character is outside GBK


def test_unencodable_text_fails_loudly() -> None:
    from marketplace.demo import Table

    table = Table(("x",), iter([("emoji 😀",)]))
    with pytest.raises(UnicodeEncodeError):
        write_csv(table, io.BytesIO(), "gbk")


@pytest.mark.parametrize("name", NAMES)
def test_jsonl_round_trips(name: str, tmp_path: Path) -> None:
    rows = list(generate(name, ROWS, seed=11).rows)
    path = tmp_path / f"{name}.jsonl"
    written = write_jsonl(generate(name, ROWS, seed=11), path)
    data = path.read_bytes()
    assert written == len(data) and data.endswith(b"\n")
    objects = [json.loads(line) for line in data.decode("utf-8").splitlines()]
    columns = DATASETS[name].column_names
    assert all(tuple(o) == columns for o in objects)
    assert [tuple(o[c] for c in columns) for o in objects] == rows


def test_path_and_file_object_targets_write_the_same_bytes(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    written = write_csv(generate("hotline", 100, seed=11), path, "gb18030")
    assert path.read_bytes() == _csv_bytes("hotline", 100, 11, "gb18030")
    assert written == path.stat().st_size


@pytest.mark.parametrize("writer", ["csv", "jsonl"])
def test_max_bytes_stops_an_endless_table_at_about_that_size(writer: str) -> None:
    limit = 50_000
    buf = io.BytesIO()
    table = generate("parking", None, seed=11)
    if writer == "csv":
        written = write_csv(table, buf, "gbk", max_bytes=limit)
        lines = list(csv.reader(io.StringIO(buf.getvalue().decode("gbk"), newline="")))
        assert all(len(line) == 7 for line in lines)
    else:
        written = write_jsonl(table, buf, max_bytes=limit)
        lines = [json.loads(x) for x in buf.getvalue().splitlines()]
    assert written == len(buf.getvalue())
    assert limit <= written < limit + 64_000  # stops at the first flush past the limit


def test_unknown_dataset_and_negative_rows_are_rejected() -> None:
    with pytest.raises(ValueError, match="unknown dataset"):
        generate("weather", 10)
    with pytest.raises(ValueError):
        generate("hotline", -1)


def test_the_package_imports_neither_flask_nor_the_rest_of_marketplace() -> None:
    import ast

    import marketplace.demo

    package = Path(marketplace.demo.__file__).parent
    for source in package.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top not in ("flask", "marketplace", "sqlalchemy"), (source.name, name)
