"""Upload ingestion benchmark: ingest() on a generated CSV against a floor measured in the same run.

Floor = ``openssl dgst -sha256 FILE`` (hashing every byte) + DuckDB ``SELECT count(*) FROM
read_csv(FILE)`` (parsing every row): the two things ingest cannot avoid. ingest() additionally
stores and fsyncs the bytes, checks UTF-8, sniffs the schema and counts rows strictly. Every
measurement runs in a fresh process (page cache warm); the ingest's peak RSS is its own VmHWM.
Best of ``--rounds`` because the machine may be shared. Targets: ratio <= 1.5, RSS < 300 MB.

    .venv/bin/python bench/upload_bench.py [--size-mb 1024] [--rounds 3] [--via ingest|route]

``--via route`` POSTs the file to ``/api/v1/assets/{id}/versions`` through the WSGI app (Flask
test client, body streamed from the file with a Content-Length) after creating a merchant,
an approved organisation and an asset in a throwaway SQLite database.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

TARGET_RATIO = 1.5
TARGET_RSS_MB = 300
_NAMES = ["张伟", "王芳", "李娜", "刘洋", "陈静", "德阳市旌阳区市场监督管理局", "Smith & Co",
          "四川德阳数据资源中心", "Acme Ltd", "旌湖片区停车场"]


def generate(path: Path, size: int, seed: int = 7) -> int:
    """Write a realistic UTF-8 CSV of about ``size`` bytes (a 20,000-row block, repeated)."""
    rng = random.Random(seed)
    rows = []
    for i in range(20_000):
        rows.append(f"{i},{rng.choice(_NAMES)},{rng.randint(1, 10**7)},{rng.random() * 1e4:.2f},"
                    f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d},"
                    f"\"备注, note {rng.randint(0, 999)}\",{rng.choice(['true', 'false'])}\n")
    block = "".join(rows).encode()
    written = 0
    with path.open("wb") as f:
        f.write(b"id,name,amount,price,day,note,flag\n")
        while written < size:
            f.write(block)
            written += len(block)
    return path.stat().st_size


def _peak_rss_mb() -> float:
    """This process's peak RSS (VmHWM; ru_maxrss would include the parent's before exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_count(path: Path) -> None:
    """The floor's DuckDB half, in its own process like the ingest."""
    start = time.perf_counter()
    with duckdb.connect() as con:
        con.execute("SELECT count(*) FROM read_csv(?)", [str(path)]).fetchall()
    print(json.dumps({"seconds": time.perf_counter() - start, "rss_mb": _peak_rss_mb()}))


def child_ingest(path: Path, work: Path) -> None:
    """Run one ingest and print its timing, result and peak RSS as JSON."""
    from marketplace.assets.ingest import ingest
    from marketplace.storage import LocalBlobStore

    store = LocalBlobStore(work / "blobs")
    start = time.perf_counter()
    with path.open("rb") as stream:
        result = ingest(stream, fmt=None, declared_encoding=None, filename=path.name,
                        store=store, max_bytes=4 << 30)
    print(json.dumps({"seconds": time.perf_counter() - start, "rss_mb": _peak_rss_mb(),
                      "rows": result.row_count, "columns": len(result.columns),
                      "encoding": result.encoding}))


_ASSET = {"title": "bench", "domain": "enterprise", "source": "bench",
          "update_frequency": "monthly", "collection_method": "generated",
          "area_coverage": "德阳市", "classification": "general", "contains_personal_info": False}


def child_route(path: Path, work: Path) -> None:
    """POST the file to /api/v1/assets/{id}/versions through the WSGI app (streamed body)."""
    from marketplace import create_app
    from marketplace.accounts.services import bootstrap_operator
    from marketplace.db import db
    from marketplace.migrate import upgrade

    password = "bench password 1234"
    app = create_app({"DATABASE_URL": f"sqlite:///{work / 'elx.db'}", "VAR_DIR": str(work),
                      "SCRYPT_N": 2**10, "MAX_UPLOAD_BYTES": 4 << 30, "LOG_LEVEL": "WARNING"})
    with app.app_context():
        upgrade(db.engine)
        bootstrap_operator("operator@bench.example", "operator", password)
    client = app.test_client()

    def call(method: str, url: str, token: str = "", status: int = 200, **kw: object) -> dict:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = client.open(f"/api/v1{url}", method=method, headers=headers, **kw)
        assert response.status_code == status, (url, response.get_json())
        return response.get_json()

    def login(email: str) -> str:
        body = call("POST", "/auth/token", json={"email": email, "password": password})
        return body["access_token"]

    call("POST", "/users", json={"email": "m@bench.example", "display_name": "m",
                                 "password": password}, status=201)
    operator, merchant = login("operator@bench.example"), login("m@bench.example")
    org = call("POST", "/organizations", merchant, json={"name": "Bench 数商",
                                                          "kind": "data_developer"}, status=201)
    call("POST", f"/organizations/{org['id']}/approve", operator)
    asset = call("POST", "/assets", merchant, json=_ASSET, status=201)
    start = time.perf_counter()
    with path.open("rb") as stream:
        version = call("POST", f"/assets/{asset['id']}/versions", merchant, status=201,
                       input_stream=stream, content_length=path.stat().st_size,
                       content_type="text/csv")
    print(json.dumps({"seconds": time.perf_counter() - start, "rss_mb": _peak_rss_mb(),
                      "rows": version["row_count"], "columns": len(version["columns"]),
                      "encoding": version["encoding"]}))


def _cpu_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _child(*args: str) -> dict[str, float]:
    cpu = _cpu_children()
    done = subprocess.run([sys.executable, __file__, *args], check=True, capture_output=True,
                          text=True)
    return {**json.loads(done.stdout), "cpu": _cpu_children() - cpu}


def one_round(csv_path: Path, work: Path, via: str) -> tuple[float, float, float, dict]:
    """openssl, DuckDB count(*), ingest — each in a fresh process, page cache warm.

    Returns the floor's two wall times, the floor's CPU seconds and the ingest report.
    """
    cpu, start = _cpu_children(), time.perf_counter()
    subprocess.run(["openssl", "dgst", "-sha256", str(csv_path)], check=True,
                   capture_output=True)
    sha = time.perf_counter() - start
    count = _child("--count", str(csv_path))
    floor_cpu = _cpu_children() - cpu
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    report = _child(f"--{via}", str(csv_path), str(work))
    return sha, count["seconds"], floor_cpu, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=3, help="best of N (the box is shared)")
    parser.add_argument("--work-dir", type=Path, default=None, help="parent of the temp dir")
    parser.add_argument("--via", choices=["ingest", "route"], default="ingest",
                        help="call ingest() directly, or POST through the Flask route")
    parser.add_argument("--count", nargs=1, type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--ingest", nargs=2, type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--route", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    for name, run in (("count", child_count), ("ingest", child_ingest),
                      ("route", child_route)):
        if getattr(args, name):
            run(*getattr(args, name))
            return
    work = Path(tempfile.mkdtemp(prefix="elx-upload-bench-", dir=args.work_dir))
    try:
        csv_path = work / "bench.csv"
        size = generate(csv_path, args.size_mb << 20)
        rounds = [one_round(csv_path, work / "run", args.via) for _ in range(args.rounds)]
        for i, (sha, count, cpu, report) in enumerate(rounds, start=1):
            print(f"round {i}: openssl {sha:.3f} s + duckdb {count:.3f} s = {sha + count:.3f} s"
                  f" ({cpu:.2f} CPU s); ingest {report['seconds']:.3f} s ({report['cpu']:.2f}"
                  f" CPU s); ratio {report['seconds'] / (sha + count):.2f};"
                  f" peak RSS {report['rss_mb']:.0f} MB")
        sha = min(r[0] for r in rounds)
        count = min(r[1] for r in rounds)
        floor_cpu = min(r[2] for r in rounds)
        best = min(r[3]["seconds"] for r in rounds)
        best_cpu = min(r[3]["cpu"] for r in rounds)
        rss = max(r[3]["rss_mb"] for r in rounds)
        last = rounds[-1][3]
        ratio = best / (sha + count)
        print(f"file            {size / 2**20:9.1f} MiB, {last['rows']} rows, "
              f"{last['columns']} columns, {last['encoding']}")
        print(f"openssl sha256  {sha:9.3f} s   (best of {len(rounds)})")
        print(f"duckdb count(*) {count:9.3f} s")
        print(f"floor (sum)     {sha + count:9.3f} s   {floor_cpu:6.2f} CPU s")
        print(f"{'ingest()' if args.via == 'ingest' else 'POST route':15} {best:9.3f} s   "
              f"{best_cpu:6.2f} CPU s")
        print(f"ratio           {ratio:9.2f}   (target <= {TARGET_RATIO}); CPU ratio "
              f"{best_cpu / floor_cpu:.2f}")
        print(f"ingest peak RSS {rss:9.1f} MB (target < {TARGET_RSS_MB}; worst round)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
