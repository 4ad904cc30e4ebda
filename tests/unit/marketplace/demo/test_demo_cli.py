"""``python -m marketplace.demo``: rows, byte budgets, encodings, formats."""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from marketplace.demo import generate, write_csv
from marketplace.demo.__main__ import main, parse_size


@pytest.mark.parametrize(
    ("text", "size"),
    [("1000", 1000), ("64K", 65536), ("512k", 524288), ("1.5M", 1572864), ("1G", 2**30),
     ("2GiB", 2 * 2**30), ("3MB", 3 * 2**20)],
)
def test_parse_size(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "G", "1X", "-5", "1 G B"])
def test_parse_size_rejects_nonsense(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        parse_size(text)


def test_rows_and_encoding(tmp_path: Path) -> None:
    out = tmp_path / "h.csv"
    assert main(["--dataset", "hotline", "--rows", "120", "--encoding", "gbk", "--seed", "11",
                 "--out", str(out)]) == 0
    rows = list(csv.reader(io.StringIO(out.read_bytes().decode("gbk"), newline="")))
    assert len(rows) == 121 and all(len(r) == 9 for r in rows)
    reference = tmp_path / "ref.csv"
    write_csv(generate("hotline", 120, seed=11), reference, "gbk")
    assert out.read_bytes() == reference.read_bytes()


def test_byte_budget(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "p.csv"
    main(["--dataset", "parking", "--bytes", "64K", "--out", str(out)])
    size = out.stat().st_size
    assert 65536 <= size < 65536 + 64_000
    assert out.read_bytes().endswith(b"\r\n")
    assert f"{size} bytes" in capsys.readouterr().err


def test_jsonl_is_chosen_by_suffix(tmp_path: Path) -> None:
    out = tmp_path / "e.jsonl"
    main(["--dataset", "enterprises", "--rows", "5", "--out", str(out)])
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 5 and all("uscc" in json.loads(line) for line in lines)


def test_runs_as_a_module_with_the_same_bytes_in_another_process(tmp_path: Path) -> None:
    out, reference = tmp_path / "u.csv", tmp_path / "ref.csv"
    done = subprocess.run(
        [sys.executable, "-m", "marketplace.demo", "--dataset", "hotline", "--seed", "11",
         "--rows", "200", "--encoding", "utf-8-sig", "--out", str(out)],
        capture_output=True, text=True, check=False, timeout=60,
        env={**os.environ, "PYTHONHASHSEED": "12345"},  # str hashing differs from ours
    )
    assert done.returncode == 0, done.stderr
    assert "200 rows" in done.stderr
    write_csv(generate("hotline", 200, seed=11), reference, "utf-8-sig")
    assert out.read_bytes() == reference.read_bytes()
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")


def test_unknown_dataset_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--dataset", "weather", "--out", str(tmp_path / "x.csv")])
    assert exc.value.code == 2
