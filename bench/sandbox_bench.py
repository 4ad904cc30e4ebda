"""Sandbox benchmark (issue 7 acceptance): what vetting, rewriting, the worker pool and the
noise cost on top of DuckDB.

    .venv/bin/python bench/sandbox_bench.py [--rows 10000000] [--repeat 5] [--threads 2]

Generates a ``people``-like element (id, name, district, street, age, gender, income) as
Parquet with DuckDB in a temporary directory, then times 20 typical aggregate queries, each
``--repeat`` times after one warm-up, three ways in the same run:

(a) raw DuckDB, in this process, on the buyer's SQL over a view of the Parquet file;
(b) raw DuckDB, same connection, on the rewritten SQL the sandbox actually executes;
(c) the sandbox end to end through its public API: vet → plan → SandboxRunner.execute (worker
    process, pipe IPC, hardened connection) → apply_privacy (OpenDP noise) → present;
(c') the same through the service's ``POST /licenses/{id}/queries`` with the Flask test client
    (bench/sandbox_api.py: auth, license evaluation, budget debit, cache, metering, ledger
    entry and receipt), plus cached repeats; skip it with ``--no-api``.

It prints p50/p99 of each, (c) − (b) (target: p50 ≤ 30 ms) and (b)/(a) with its reasons. The
same thread count is used for (a), (b) and the worker. On a shared machine, run it twice.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from sandbox import QueryPolicy, SandboxRunner, apply_privacy, plan, present, vet

COLUMNS = {"id": "BIGINT", "name": "VARCHAR", "district": "VARCHAR", "street": "VARCHAR",
           "age": "BIGINT", "gender": "VARCHAR", "income": "BIGINT"}
POLICY = QueryPolicy.from_dict({
    "identity": "id", "dimensions": ["district", "street", "age", "gender"],
    "aggregates": {"income": {"functions": ["count", "sum", "avg"], "lower": "0",
                              "upper": "500000"}},
    "k": 10, "epsilon_per_query": "1", "epsilon_per_license": "1000", "max_rows": 1000})
QUERIES = [
    "SELECT count(*) FROM element",
    "SELECT district, count(*) FROM element GROUP BY district",
    "SELECT district, avg(income) FROM element GROUP BY district",
    "SELECT gender, count(*), avg(income) FROM element GROUP BY gender",
    "SELECT age, count(*) FROM element GROUP BY age ORDER BY age",
    "SELECT district, gender, count(*) FROM element GROUP BY ALL",
    "SELECT count(*) FROM element WHERE age BETWEEN 30 AND 39",
    "SELECT sum(income) FROM element WHERE district = 'D07'",
    "SELECT avg(income) FROM element WHERE age >= 60 AND gender = 'F'",
    "SELECT district, sum(income) AS s FROM element GROUP BY district ORDER BY s DESC LIMIT 5",
    "SELECT count(DISTINCT street) FROM element WHERE district IN ('D01', 'D02', 'D03')",
    "SELECT street, count(*) FROM element WHERE district = 'D11' GROUP BY street",
    "SELECT age, avg(income) FROM element WHERE district = 'D04' GROUP BY age",
    "SELECT gender, count(income) FROM element WHERE age < 25 OR age > 70 GROUP BY gender",
    "SELECT district, count(*) AS n FROM element GROUP BY district HAVING n > 1000",
    "SELECT count(*), sum(income), avg(income) FROM element WHERE district <> 'D00'",
    "SELECT street, avg(income) FROM element GROUP BY street ORDER BY 2 DESC LIMIT 10",
    "SELECT age, gender, count(*) FROM element WHERE age BETWEEN 20 AND 29 GROUP BY ALL",
    "SELECT count(DISTINCT district) FROM element WHERE gender = 'M'",
    "SELECT district, avg(income), count(*) FROM element WHERE age >= 18 GROUP BY district",
]


def generate(path: Path, rows: int) -> None:
    con = duckdb.connect()
    con.execute(f"""COPY (SELECT i AS id, 'Person ' || i AS name,
        'D' || lpad(((hash(i) % 20))::VARCHAR, 2, '0') AS district,
        'S' || lpad(((hash(i + 1) % 400))::VARCHAR, 3, '0') AS street,
        (18 + hash(i + 2) % 73)::BIGINT AS age,
        CASE WHEN hash(i + 3) % 2 = 0 THEN 'F' ELSE 'M' END AS gender,
        (hash(i + 4) % 300000)::BIGINT AS income
        FROM range({rows}) t(i)) TO '{path}' (FORMAT parquet)""")
    con.close()


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-api", action="store_true", help="skip (c') through the API")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "people.parquet"
        t = timed(lambda: generate(path, args.rows))
        print(f"element: {args.rows:,} rows, {path.stat().st_size / 1e6:.0f} MB Parquet "
              f"(generated in {t:.1f} s); threads={args.threads}; repeat={args.repeat}")
        raw = duckdb.connect(config={"threads": args.threads})
        raw.execute(f"CREATE VIEW element AS SELECT * FROM read_parquet('{path}')")
        prepared = []
        for sql in QUERIES:
            vetted = vet(sql, POLICY, COLUMNS)
            prepared.append((sql, vetted, plan(vetted, POLICY, COLUMNS)))
        with SandboxRunner(max_workers=1, timeout_s=120, memory_limit="4GB",
                           threads=args.threads) as runner:

            def sandbox(sql: str) -> object:
                vetted = vet(sql, POLICY, COLUMNS)
                execution = plan(vetted, POLICY, COLUMNS)
                result = runner.execute(path, execution)
                release = apply_privacy(result.rows, execution,
                                        max_rows_per_identity=result.max_rows_per_identity)
                return present(release, vetted)

            a: dict[str, list[float]] = {s: [] for s in QUERIES}
            b: dict[str, list[float]] = {s: [] for s in QUERIES}
            c: dict[str, list[float]] = {s: [] for s in QUERIES}
            for rep in range(args.repeat + 1):  # round 0 warms caches and the worker
                for sql, _vetted, execution in prepared:
                    ta = timed(lambda s=sql: raw.execute(s).fetchall())
                    tb = timed(lambda e=execution: raw.execute(e.sql,
                                                               list(e.params)).fetchall())
                    tc = timed(lambda s=sql: sandbox(s))
                    if rep:
                        a[sql].append(ta)
                        b[sql].append(tb)
                        c[sql].append(tc)
        report(a, b, c)
        if not args.no_api:
            report_api(path, c, args.repeat, args.threads)


def report_api(path: Path, c: dict[str, list[float]], repeat: int, threads: int) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from bench.sandbox_api import measure

    api, cached = measure(path, COLUMNS, POLICY.to_dict(), QUERIES, repeat, threads)
    ms = 1000.0
    label_api, label_extra = "(c') through the API", "(c') - (c) per query"
    flat = [v for vs in api.values() for v in vs]
    extra = [statistics.median(api[q]) - statistics.median(c[q]) for q in QUERIES]
    print(f"\n{label_api:<28} p50 {pct(flat, .5) * ms:8.1f} ms   "
          f"p99 {pct(flat, .99) * ms:8.1f} ms")
    print(f"{label_extra:<28} median {statistics.median(extra) * ms:6.1f} ms   "
          f"max {max(extra) * ms:6.1f} ms   (HTTP layer, license, budget, ledger, receipt)")
    print(f"{'cached repeat via the API':<28} p50 {pct(cached, .5) * ms:8.1f} ms   "
          f"p99 {pct(cached, .99) * ms:8.1f} ms   (no engine, no ε)")


def report(a: dict[str, list[float]], b: dict[str, list[float]],
           c: dict[str, list[float]]) -> None:
    ms = 1000.0
    print(f"\n{'#':>2} {'(a) raw':>9} {'(b) rewr':>9} {'(c) sbx':>9} {'c-b':>7} {'b/a':>6}  query")
    for i, sql in enumerate(QUERIES, 1):
        ma, mb, mc = (statistics.median(x[sql]) for x in (a, b, c))
        print(f"{i:>2} {ma * ms:>8.1f}  {mb * ms:>8.1f}  {mc * ms:>8.1f}  {(mc - mb) * ms:>6.1f} "
              f"{mb / ma:>6.2f}  {sql[:70]}")
    flat = {k: [v for vs in x.values() for v in vs] for k, x in (("a", a), ("b", b), ("c", c))}
    over = [ci - bi for sql in QUERIES for ci, bi in zip(c[sql], b[sql], strict=True)]
    print()
    for name, label in (("a", "(a) raw DuckDB, buyer SQL"), ("b", "(b) raw DuckDB, rewritten"),
                        ("c", "(c) sandbox end to end")):
        print(f"{label:<28} p50 {pct(flat[name], .5) * ms:8.1f} ms   "
              f"p99 {pct(flat[name], .99) * ms:8.1f} ms")
    print(f"{'(c) - (b) per run':<28} p50 {pct(over, .5) * ms:8.1f} ms   "
          f"p99 {pct(over, .99) * ms:8.1f} ms   (target p50 <= 30 ms)")
    ratios = [statistics.median(b[s]) / statistics.median(a[s]) for s in QUERIES]
    print(f"{'(b) / (a) per query':<28} median {statistics.median(ratios):.2f}x   "
          f"max {max(ratios):.2f}x")
    print("\n(b)/(a): the rewritten SQL also counts identities per group (count(id) when the "
          "policy's\ncontribution bound is 1, else count(DISTINCT id)), clamps SUM inputs and "
          "returns every\ngroup (ORDER BY/LIMIT/HAVING run after the noise), so queries the "
          "buyer answered from\nParquet metadata or with a top-N now scan and aggregate "
          "more.\n(c)-(b): vetting + planning (sqlglot), pickling over the worker pipe, OpenDP "
          "noise,\npresentation; the hardened connection and the rows-per-identity check are "
          "cached per worker.")


if __name__ == "__main__":
    main()
