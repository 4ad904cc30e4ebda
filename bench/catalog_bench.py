"""Catalog benchmark: ``GET /catalog`` over 100,000 listed listings (issue 5 §3 acceptance).

    .venv/bin/python bench/catalog_bench.py [--listings 100000] [--runs 200]

Bulk-inserts N listed listings (plans, popularity counters, catalog entries and their search
terms, built by the same ``marketplace.listings.index``/``text`` functions the service uses)
over 1,700 elements of 87 merchants into a SQLite file in a temporary directory, then times
typical searches — Chinese and English queries, facet filters, sorts, the whole catalog —
through the Flask test client (routing, argument parsing, search, facet counts, JSON) and
prints per query p50/p99 in ms against a bare SQL ``SELECT`` of the same page (the page's
listing ids only, no facets, no total, no JSON) run on the same connection settings; the
ratio says what the service adds. The bare page must return the same ids as the API.
Peak RSS of this process (``resource.getrusage``) at the end. Target: p99 <= 50 ms per search.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.catalog_data import ELEMENTS, load
from marketplace.listings.facets import mode_bits
from marketplace.listings.text import query_terms

QUERIES: list[dict[str, Any]] = [
    {"q": "停车"},
    {"q": "企业信用", "classification": ["important"]},
    {"q": "热线 工单", "merchant_kind": ["data_broker"]},
    {"q": "parking", "delivery_mode": ["sandbox"], "sort": "price_asc"},
    {"q": "water", "price_band": ["free", "under_100"]},
    {"q": "旌阳区 充电桩"},
    {"domain": ["交通"], "sort": "newest"},
    {"sort": "popularity"},
    {"q": "德阳"},
]
ORDER = {"newest": "e.doc_id DESC", "price_asc": "e.price_from_fen, e.doc_id",
         "popularity": "s.orders DESC, s.usage DESC, e.doc_id DESC"}


def bare_page(args: dict[str, Any]) -> tuple[str, list[Any]]:
    """Hand-written SQL for the same page the API returns (first page, limit 20)."""
    params: list[Any] = []
    sql = "SELECT e.listing_id FROM catalog_entries e"
    terms = query_terms(args["q"]) if "q" in args else []
    if len(terms) == 1:
        sql += (" JOIN (SELECT doc_id, weight AS rank FROM catalog_terms WHERE term = ?) m"
                " ON m.doc_id = e.doc_id")
        params += terms
    elif terms:
        marks = ",".join("?" * len(terms))
        sql += (f" JOIN (SELECT doc_id, SUM(weight) AS rank FROM catalog_terms WHERE term IN "
                f"({marks}) GROUP BY doc_id HAVING COUNT(*) = ?) m ON m.doc_id = e.doc_id")
        params += [*terms, len(terms)]
    sort = args.get("sort", "relevance")
    if sort == "popularity":
        sql += " JOIN listing_stats s ON s.listing_id = e.listing_id"
    where = []
    for name in ("domain", "classification", "merchant_kind", "price_band"):
        if name in args:
            where.append(f"e.{name} IN ({','.join('?' * len(args[name]))})")
            params += args[name]
    if "delivery_mode" in args:
        where.append("(e.modes & ?) != 0")
        params.append(mode_bits(args["delivery_mode"]))
    if where:
        sql += " WHERE " + " AND ".join(where)
    if sort == "relevance":
        order = "m.rank DESC, m.doc_id DESC" if terms else ORDER["newest"]
    else:
        order = ORDER[sort]
    return f"{sql} ORDER BY {order} LIMIT 20", params


def timed(fn: Callable[[], Any], runs: int) -> tuple[list[float], list[float], Any]:
    """Sorted wall and CPU (this thread: the test client and SQLite run in it) milliseconds."""
    for _ in range(3):
        result = fn()
    wall, cpu = [], []
    for _ in range(runs):
        began, began_cpu = time.perf_counter_ns(), time.thread_time_ns()
        result = fn()
        cpu.append((time.thread_time_ns() - began_cpu) / 1e6)
        wall.append((time.perf_counter_ns() - began) / 1e6)
    return sorted(wall), sorted(cpu), result


def pct(samples: list[float], q: float) -> float:
    return samples[min(len(samples) - 1, int(len(samples) * q))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listings", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    from marketplace import create_app
    from marketplace.db import db
    from marketplace.migrate import upgrade

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"DATABASE_URL": f"sqlite:///{Path(tmp) / 'elx.db'}",
                          "VAR_DIR": tmp, "LOG_LEVEL": "WARNING", "WORKER_THREADS": 0})
        with app.app_context():
            upgrade(db.engine)
            began = time.perf_counter()
            terms = load(db.engine, args.listings, random.Random(5))
            loaded = time.perf_counter() - began
        size = Path(tmp, "elx.db").stat().st_size / 2**20
        print(f"listings                {args.listings:,} over {ELEMENTS:,} elements, "
              f"{terms:,} search terms; loaded in {loaded:.1f} s; database {size:,.0f} MiB")
        client = app.test_client()
        with app.app_context():
            engine = db.engine
        worst = worst_cpu = 0.0
        print(f"{'query (ms; wall, and CPU in brackets)':38} {'api p50':>13} {'api p99':>13} "
              f"{'bare p50':>8} {'bare p99':>8} {'x p50':>6} {'total':>7}")

        def bare(sql: str, params: list[Any]) -> list[Any]:
            with engine.connect() as conn:  # a request's share: checkout, BEGIN, rollback
                return conn.exec_driver_sql(sql, tuple(params)).all()

        for query in QUERIES:
            url = "/api/v1/catalog?" + urlencode(query, doseq=True)
            api, api_cpu, response = timed(lambda u=url: client.get(u), args.runs)
            assert response.status_code == 200, response.get_json()
            body = response.get_json()
            sql, params = bare_page(query)
            page, _, rows = timed(lambda s=sql, p=params: bare(s, p), args.runs)
            assert [r[0] for r in rows] == [i["listing_id"] for i in body["items"]], query
            worst, worst_cpu = max(worst, pct(api, .99)), max(worst_cpu, pct(api_cpu, .99))
            label = "&".join(f"{k}={v}" for k, vs in query.items()
                             for v in (vs if isinstance(vs, list) else [vs])) or "(all)"
            print(f"{label[:38]:38} {pct(api, .5):6.1f} ({pct(api_cpu, .5):4.1f}) "
                  f"{pct(api, .99):6.1f} ({pct(api_cpu, .99):4.1f}) {pct(page, .5):8.2f} "
                  f"{pct(page, .99):8.2f} {pct(api, .5) / max(pct(page, .5), 1e-3):6.1f} "
                  f"{body['total']:7,}")
        print(f"worst p99               {worst:.1f} ms wall, {worst_cpu:.1f} ms CPU "
              f"(target <= 50 ms); {args.runs} runs each after 3 warm-ups")
    print(f"peak RSS                "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")


if __name__ == "__main__":
    main()
