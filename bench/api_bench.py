"""Records API benchmark (issue 7 acceptance): ``GET /elements/{id}/records`` under gunicorn
with 16 concurrent clients, against a bare Flask endpoint reading the same rows.

    .venv/bin/python bench/api_bench.py [--rows 50000] [--clients 16] [--duration 10]
        [--workers 4] [--database-url postgresql+psycopg://…/admin]   # default: SQLite
    (with --database-url a private database is created on that server and dropped after)

Builds a world through the real API in this process (operator, merchant, buyer, an element of
``--rows`` rows built by the pipeline, its query policy, a listed free license and an API
key), then serves two apps with gunicorn (``gthread``, ``--workers`` × 4 threads) on
127.0.0.1: (1) the service, (2) a bare Flask app whose one route reads the same page of the
same Parquet file with the same DuckDB reader but does no authentication, license
evaluation, counting, metering or rate limiting. A load generator of ``--clients`` threads
with keep-alive connections asks for pages (``limit=50``, a district filter, a rotating
cursor) for ``--duration`` seconds each and prints throughput, p50 and p99 of both, and the
ratio. The service's rate limit is lifted for the run; the exact usage count is checked.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

DISTRICTS = ("旌阳区", "罗江区", "广汉市", "什邡市", "绵竹市", "中江县")


def served_app() -> Any:
    """The service as gunicorn loads it (settings from BENCH_* variables)."""
    from marketplace import create_app

    return create_app({"DATABASE_URL": os.environ["BENCH_DATABASE_URL"],
                       "VAR_DIR": os.environ["BENCH_VAR_DIR"], "WORKER_THREADS": 0,
                       "LOG_LEVEL": "WARNING", "RECORDS_RATE_BURST": 10**9,
                       "RECORDS_RATE_PER_SECOND": 10**9})


def bare_app() -> Any:
    """The baseline: the same DuckDB page read behind one bare Flask route."""
    from flask import Flask, request

    from marketplace.access.recordsql import parse_filters, read_page, to_json

    app = Flask("bare")
    path, root = os.environ["BENCH_PARQUET"], os.environ["BENCH_BLOB_ROOT"]
    columns = {"id": "BIGINT", "区县": "VARCHAR", "类别": "VARCHAR", "数量": "BIGINT"}

    @app.get("/records")
    def records():  # type: ignore[no-untyped-def]
        filters = parse_filters(request.args.getlist("filter"), columns)
        after = int(request.args.get("cursor", "-1"))
        rows, last = read_page(root, path, list(columns), filters, after,
                               int(request.args.get("limit", "50")))
        return {"items": [dict(zip(columns, map(to_json, r), strict=True)) for r in rows],
                "next_cursor": last}

    return app


def build(url: str, var: Path, rows: int) -> dict[str, str]:
    from marketplace import create_app
    from marketplace.db import db
    from marketplace.migrate import upgrade
    from tests.api.access_world import api_key, license_for
    from tests.api.listing_world import build_element
    from tests.api.world import build_world

    app = create_app({"DATABASE_URL": url, "VAR_DIR": str(var), "WORKER_THREADS": 0,
                      "SCRYPT_N": 2**10, "MAX_UPLOAD_BYTES": 1 << 30, "LOG_LEVEL": "WARNING"})
    with app.app_context():
        upgrade(db.engine)
    world = build_world(app)
    lines = ["id,区县,类别,数量"] + [f"{i},{DISTRICTS[i % 6]},{'交通' if i % 2 else '企业'},"
                                   f"{i % 100}" for i in range(rows)]
    ids = build_element(world, title="基准明细", csv=("\n".join(lines) + "\n").encode())
    eid = ids["element_id"]
    world.ok("PUT", f"/elements/{eid}/query-policy", world["merchant"], json={"policy": {
        "identity": "id", "dimensions": ["区县", "类别"], "k": 2}})
    lic = license_for(world, eid)
    with app.app_context():
        from marketplace.elements.models import ElementVersion

        sha = db.session.get(ElementVersion, ids["version_id"]).output_sha256
        store = app.extensions["elx.blobs"]
        parquet = str(store.local_path(sha).resolve())
        root = str(Path(store.root).resolve())
    return {"element": eid, "license": lic, "key": api_key(world), "parquet": parquet,
            "root": root}


def serve(target: str, port: int, workers: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "gunicorn", "-k", "gthread", "-w", str(workers),
           "--threads", "4", "-b", f"127.0.0.1:{port}", "--log-level", "warning", target]
    proc = subprocess.Popen(cmd, env={**os.environ, **env}, cwd=Path(__file__).parents[1])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            http.client.HTTPConnection("127.0.0.1", port, timeout=1).connect()
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"gunicorn on port {port} did not start")


def load(port: int, path_for: Any, headers: dict[str, str], clients: int,
         duration: float) -> tuple[list[float], int]:
    latencies: list[float] = []
    errors, lock = [0], threading.Lock()
    stop = time.monotonic() + duration

    def client(n: int) -> None:
        conn, mine, i = http.client.HTTPConnection("127.0.0.1", port, timeout=30), [], n
        while time.monotonic() < stop:
            start = time.perf_counter()
            conn.request("GET", path_for(i), headers=headers)
            response = conn.getresponse()
            response.read()
            mine.append(time.perf_counter() - start)
            if response.status != 200:
                with lock:
                    errors[0] += 1
            i += clients
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors[0]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, private_database(args.database_url) as url:
        url = url or f"sqlite:///{tmp}/elx.db"
        t = time.monotonic()
        world = build(url, Path(tmp) / "var", args.rows)
        print(f"world: {args.rows:,} rows on {url.split(':')[0]} in {time.monotonic() - t:.1f} s;"
              f" {args.clients} clients × {args.duration:.0f} s; gunicorn gthread "
              f"{args.workers} workers × 4 threads")
        env = {"BENCH_DATABASE_URL": url, "BENCH_VAR_DIR": str(Path(tmp) / "var"),
               "BENCH_PARQUET": world["parquet"], "BENCH_BLOB_ROOT": world["root"]}
        district = quote(DISTRICTS[1])
        cursors = [-1, *range(0, args.rows // 2, 997)]

        def api_path(i: int) -> str:
            c = cursors[i % len(cursors)]
            cur = "" if c < 0 else "&cursor=" + _cursor(c)
            return (f"/api/v1/elements/{world['element']}/records?limit=50"
                    f"&filter=%E5%8C%BA%E5%8E%BF:eq:{district}{cur}")

        def bare_path(i: int) -> str:
            return f"/records?limit=50&filter=%E5%8C%BA%E5%8E%BF:eq:{district}" \
                   f"&cursor={cursors[i % len(cursors)]}"

        results = {}
        for name, target, port, path_for, headers in (
                ("service", "bench.api_bench:served_app()", 18741, api_path,
                 {"X-API-Key": world["key"], "X-Purpose": "internal_analytics"}),
                ("bare", "bench.api_bench:bare_app()", 18742, bare_path, {})):
            proc = serve(target, port, args.workers, env)
            try:
                load(port, path_for, headers, args.clients, 1.0)  # warm-up
                results[name] = load(port, path_for, headers, args.clients, args.duration)
            finally:
                proc.terminate()
                proc.wait(30)
        report(results, args.duration, url, world["license"])


@contextlib.contextmanager
def private_database(admin_url: str) -> Iterator[str]:
    """A fresh PostgreSQL database for the run (dropped afterwards), or "" for SQLite."""
    if not admin_url:
        yield ""
        return
    import sqlalchemy as sa

    name = f"elx_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield sa.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _cursor(n: int) -> str:
    from marketplace.http import encode_cursor

    return encode_cursor(str(n))


def report(results: dict[str, tuple[list[float], int]], duration: float, url: str,
           license_id: str) -> None:
    ms = 1000.0
    rate = {}
    for name, (lat, errors) in results.items():
        rate[name] = len(lat) / duration
        print(f"{name:<8} {rate[name]:8.0f} req/s   p50 {statistics.median(lat) * ms:7.1f} ms   "
              f"p99 {pct(lat, .99) * ms:7.1f} ms   non-200: {errors}")
    print(f"ratio service/bare: throughput {rate['service'] / rate['bare']:.2f}x, "
          f"p99 {pct(results['service'][0], .99) / pct(results['bare'][0], .99):.2f}x")
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        used = conn.execute(text("SELECT count_used FROM agreements WHERE id = :i"),
                            {"i": license_id}).scalar_one()
        rows = conn.execute(text("SELECT count(*) FROM access_usage WHERE agreement_id = :i"),
                            {"i": license_id}).scalar_one()
    engine.dispose()
    print(f"usage: count_used {used}, usage rows {rows} (service calls incl. warm-up: "
          f"{used}; equal = exact)")


if __name__ == "__main__":
    main()
