"""(c') of bench/sandbox_bench.py: the same 20 queries through ``POST /licenses/{id}/queries``
with the Flask test client — authentication, license evaluation, vetting, the budget row
lock and conditional debit, the worker pool, noise, the answer cache, usage metering, the
ledger append and its receipt — on the same Parquet file and policy.

The element is built through the real API from a tiny CSV of the same columns, then its
version's output and schema are pointed at the benchmark's Parquet file (copied into the blob
store; a bench-only shortcut, as the pipeline would take minutes on 10M rows). Every round uses a
fresh license, so each query really executes; a final pass repeats round 1's queries on its
license to time cached answers.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import update

CSV = "id,name,district,street,age,gender,income\n1,Person 1,D01,S001,30,F,1000\n"


def measure(parquet: Path, columns: dict[str, str], policy: dict[str, Any],
            queries: list[str], repeat: int,
            threads: int) -> tuple[dict[str, list[float]], list[float]]:
    """Per query: seconds per uncached API call (``repeat`` rounds after a warm-up), and the
    seconds of cached repeats."""
    from marketplace import create_app
    from marketplace.db import db
    from marketplace.elements.models import ElementVersion
    from sandbox import SandboxRunner
    from tests.api.access_world import license_for
    from tests.api.listing_world import build_element
    from tests.api.world import build_world

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"DATABASE_URL": f"sqlite:///{tmp}/elx.db", "VAR_DIR": tmp,
                          "WORKER_THREADS": 0, "SCRYPT_N": 2**10, "LOG_LEVEL": "WARNING"})
        with app.app_context():
            from marketplace.migrate import upgrade

            upgrade(db.engine)
        runner = SandboxRunner(max_workers=1, timeout_s=120, memory_limit="4GB",
                               threads=threads)
        app.extensions["elx.sandbox_runner"] = runner
        try:
            world = build_world(app)
            ids = build_element(world, title="people", csv=CSV.encode())
            with app.app_context():
                store = app.extensions["elx.blobs"]
                with parquet.open("rb") as f, store.writer(1 << 40) as w:
                    while chunk := f.read(1 << 20):
                        w.write(chunk)
                    ref = w.commit()
                db.session.execute(update(ElementVersion).where(
                    ElementVersion.id == ids["version_id"]).values(
                    output_sha256=ref.sha256, schema=[{"name": n, "type": t, "description": ""}
                                                      for n, t in columns.items()]))
                db.session.commit()
            eid = ids["element_id"]
            world.ok("PUT", f"/elements/{eid}/query-policy", world["merchant"],
                     json={"policy": policy})
            times: dict[str, list[float]] = {q: [] for q in queries}
            first = ""
            for rnd in range(repeat + 1):  # round 0 warms the worker
                lic = license_for(world, eid)
                first = first or lic
                for sql in queries:
                    t = time.perf_counter()
                    world.ok("POST", f"/licenses/{lic}/queries", world["buyer"],
                             json={"sql": sql, "purpose": "internal_analytics"})
                    if rnd:
                        times[sql].append(time.perf_counter() - t)
            cached = []
            for sql in queries:
                t = time.perf_counter()
                body = world.ok("POST", f"/licenses/{first}/queries", world["buyer"],
                                json={"sql": sql, "purpose": "internal_analytics"})
                cached.append(time.perf_counter() - t)
                assert body["cached"] is True
            return times, cached
        finally:
            runner.close()


__all__ = ["measure"]
