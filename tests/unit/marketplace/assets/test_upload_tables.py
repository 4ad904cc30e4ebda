"""marketplace.assets.tabular / csvtable: schema, row count and line-numbered 422s from DuckDB."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from marketplace.assets.facts import Column, connect
from marketplace.assets.tabular import inspect_table
from marketplace.errors import ValidationFailed

SAMPLE = 20_480  # DuckDB's default CSV/JSON sniffer sample size, in rows


def _inspect(path: Path, fmt: str = "csv"):
    return inspect_table(path, fmt, memory_limit="128MB", threads=1)


def _write(tmp_path: Path, name: str, body: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(body.encode() if isinstance(body, str) else body)
    return path


def _rows(n: int, start: int = 1) -> str:
    return "".join(f"{i},名{i},{i}.5,2024-01-{i % 28 + 1:02d},{'true' if i % 2 else 'false'}\n"
                   for i in range(start, start + n))


def _fails(path: Path, fmt: str = "csv") -> ValidationFailed:
    with pytest.raises(ValidationFailed) as info:
        _inspect(path, fmt)
    error = info.value
    assert str(path.parent) not in json.dumps(error.to_problem(), ensure_ascii=False)
    return error


HEADER = "id,name,price,day,flag\n"


def test_csv_types_and_row_count(tmp_path: Path) -> None:
    facts = _inspect(_write(tmp_path, "a.csv", HEADER + _rows(50)))
    assert facts.row_count == 50
    assert facts.columns == (Column("id", "BIGINT"), Column("name", "VARCHAR"),
                             Column("price", "DOUBLE"), Column("day", "DATE"),
                             Column("flag", "BOOLEAN"))


@pytest.mark.parametrize("delim", ["\t", ";", "|"])
def test_csv_delimiter_comes_from_the_header(tmp_path: Path, delim: str) -> None:
    body = (HEADER + _rows(5)).replace(",", delim)
    facts = _inspect(_write(tmp_path, "a.csv", body))
    assert [c.name for c in facts.columns] == ["id", "name", "price", "day", "flag"]
    assert facts.row_count == 5


def test_csv_rfc4180_quoting_crlf_and_hash_lines(tmp_path: Path) -> None:
    body = '"a,1";"b ""q"""\r\n#x;"multi\r\nline"\r\n2;y\r\n'
    facts = _inspect(_write(tmp_path, "q.csv", body))
    assert [c.name for c in facts.columns] == ["a,1", 'b "q"']
    assert facts.row_count == 2  # '#x' is data, not a comment; the quoted CRLF is one value


@pytest.mark.parametrize("row", [SAMPLE + 500, 7])
def test_csv_ragged_row_names_its_line(tmp_path: Path, row: int) -> None:
    # Row `row` (file line row + 1) is short. Early rows make DuckDB's sniffer give up
    # without a line number; late rows fail the strict count: both must name the line.
    body = HEADER + _rows(row - 1) + f"{row},short\n" + _rows(10, start=row + 1)
    error = _fails(_write(tmp_path, "r.csv", body))
    assert error.extra["line"] == row + 1
    assert "2 fields" in error.detail and "header has 5" in error.detail


def test_csv_extra_field_names_its_line(tmp_path: Path) -> None:
    body = HEADER + _rows(SAMPLE + 10) + "1,x,1.5,2024-01-01,true,extra\n"
    error = _fails(_write(tmp_path, "r.csv", body))
    assert error.extra["line"] == SAMPLE + 12
    assert "6 fields" in error.detail


def test_csv_unclosed_quote_names_its_line(tmp_path: Path) -> None:
    body = HEADER + _rows(SAMPLE + 10) + '9,"never closed,1.5,2024-01-01,true\n' + _rows(3)
    assert _fails(_write(tmp_path, "q.csv", body)).extra["line"] == SAMPLE + 12


@pytest.mark.parametrize(("header", "words"), [
    ("id,Name,name\n", "used twice"), ("id,,x\n", "empty name"), ("id, ,x\n", "empty name"),
    ("\n", "header, is empty"), ('"open,b\n', "quote"),
])
def test_csv_bad_headers(tmp_path: Path, header: str, words: str) -> None:
    error = _fails(_write(tmp_path, "h.csv", header + "1,2,3\n"))
    assert words in error.detail
    assert error.extra["line"] == 1


def test_csv_header_only_has_no_rows(tmp_path: Path) -> None:
    assert "no data rows" in _fails(_write(tmp_path, "h.csv", HEADER)).detail


def test_csv_endless_header_is_rejected_without_reading_it_whole(tmp_path: Path) -> None:
    error = _fails(_write(tmp_path, "h.csv", b"x," * (600 << 10)))
    assert "longer than 1 MiB" in error.detail


def _jsonl(records: list[object]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def test_jsonl_schema_is_the_union_of_all_records(tmp_path: Path) -> None:
    records: list[object] = [{"id": i, "名称": f"n{i}"} for i in range(SAMPLE + 100)]
    records.append({"id": 1, "late": 2.5})  # a key that appears only after the sample
    facts = _inspect(_write(tmp_path, "a.jsonl", _jsonl(records) + "\n  \n"), "jsonl")
    assert facts.row_count == SAMPLE + 101
    assert facts.columns == (Column("id", "BIGINT"), Column("名称", "VARCHAR"),
                             Column("late", "DOUBLE"))


@pytest.mark.parametrize(("bad", "words"), [
    ('{"id": 1, "name": ', "not valid JSON"), ("[1, 2]", "not a JSON object"),
    ('{"": 1}', "empty key"), ('{"ID": 1}', "only in letter case"), ("NaN", "not valid JSON"),
])
def test_jsonl_bad_line_is_named_exactly(tmp_path: Path, bad: str, words: str) -> None:
    body = _jsonl([{"id": i} for i in range(30)]) + bad + "\n" + _jsonl([{"id": 0}] * 3)
    error = _fails(_write(tmp_path, "b.jsonl", body), "jsonl")
    assert words in error.detail
    assert error.extra["line"] == 31


def _parquet(tmp_path: Path, select: str) -> Path:
    path = tmp_path / "t.parquet"
    with duckdb.connect() as con:
        con.execute(f"COPY ({select}) TO '{path}' (FORMAT parquet)")
    return path


def test_parquet_schema_and_count(tmp_path: Path) -> None:
    path = _parquet(tmp_path, "SELECT range AS id, 'x' || range AS label FROM range(1234)")
    facts = _inspect(path, "parquet")
    assert facts.columns == (Column("id", "BIGINT"), Column("label", "VARCHAR"))
    assert facts.row_count == 1234


def test_parquet_without_rows_or_valid_footer(tmp_path: Path) -> None:
    assert "no data rows" in _fails(_parquet(tmp_path, "SELECT 1 AS a WHERE false"),
                                    "parquet").detail
    junk = _write(tmp_path, "j.parquet", b"PAR1" + bytes(range(256)) * 4)
    assert "not a valid Parquet" in _fails(junk, "parquet").detail


def test_engine_can_read_only_the_file_it_was_opened_for(tmp_path: Path) -> None:
    mine = _write(tmp_path, "mine.csv", "a\n1\n")
    other = _write(tmp_path, "other.csv", "secret\n1\n")
    with connect(mine, "64MB", 1) as con:
        assert con.execute("SELECT count(*) FROM read_csv(?)", [str(mine)]).fetchone() == (1,)
        with pytest.raises(duckdb.PermissionException):
            con.execute("SELECT * FROM read_csv(?)", [str(other)]).fetchall()
        with pytest.raises(duckdb.Error):
            con.execute("SET enable_external_access = true")


def test_csv_valid_utf8_edge_characters_are_accepted(tmp_path: Path) -> None:
    # The strict pass must not reject what Python's decoder accepts: U+10FFFF, noncharacters,
    # a private-use character, U+FEFF inside a value.
    odd = "\U0010ffff\ufffe\ue000\ufeff"
    body = "id,name,price,day,flag\n" + _rows(SAMPLE + 10) + f"9,{odd},1.5,2024-01-01,{odd}\n"
    assert _inspect(_write(tmp_path, "t.csv", body)).row_count == SAMPLE + 11
