"""``python -m marketplace.demo`` — write a demo dataset as CSV or JSON Lines.

    python -m marketplace.demo --dataset hotline --rows 100000 --encoding gbk --out h.csv
    python -m marketplace.demo --dataset parking --bytes 1G --out parking.csv
    python -m marketplace.demo --dataset enterprises --rows 10 --format jsonl --out -

``--bytes`` accepts a plain number or K/M/G/T (powers of 1024, optional ``B``/``iB``) and
stops at the first flush past that size.  Without ``--rows`` or ``--bytes``, 1000 rows.
A one-line summary (bytes, rows, seconds) goes to stderr.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Iterator, Sequence

from .generator import DATASETS, DEFAULT_SEED, generate
from .table import Table, write_csv, write_jsonl

_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?", re.IGNORECASE)


def parse_size(text: str) -> int:
    """``"1G"`` → 1073741824; ``"512k"`` → 524288; ``"1000"`` → 1000."""
    match = _SIZE.fullmatch(text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"not a size: {text!r}")
    power = " KMGT".index(match.group(2).upper() or " ")
    return int(float(match.group(1)) * 1024**power)


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m marketplace.demo", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", required=True, choices=sorted(DATASETS))
    ap.add_argument("--rows", type=int, help="number of rows")
    ap.add_argument("--bytes", type=parse_size, dest="max_bytes", help="stop near this size")
    ap.add_argument("--encoding", default="utf-8",
                    help="CSV encoding: utf-8, utf-8-sig, gbk, gb18030 … (JSONL is UTF-8)")
    ap.add_argument("--format", choices=("csv", "jsonl"),
                    help="default: jsonl if --out ends in .jsonl, else csv")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--out", required=True, help="output file, or - for stdout")
    return ap


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    rows = args.rows if args.rows is not None or args.max_bytes else 1000
    table = generate(args.dataset, rows, args.seed)
    count = 0

    def counted(it: Iterator[tuple[object, ...]]) -> Iterator[tuple[object, ...]]:
        nonlocal count
        for count, row in enumerate(it, 1):  # noqa: B007 - count is read after the loop
            yield row

    table = Table(table.columns, counted(table.rows))
    fmt = args.format or ("jsonl" if args.out.endswith(".jsonl") else "csv")
    target = sys.stdout.buffer if args.out == "-" else args.out
    start = time.perf_counter()
    if fmt == "jsonl":
        written = write_jsonl(table, target, max_bytes=args.max_bytes)
    else:
        written = write_csv(table, target, args.encoding, max_bytes=args.max_bytes)
    seconds = time.perf_counter() - start
    print(f"{args.dataset}: {written} bytes, {count} rows, {seconds:.1f} s "
          f"({written / max(seconds, 1e-9) / 2**20:.1f} MiB/s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
