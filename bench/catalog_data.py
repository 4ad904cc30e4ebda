"""Bulk data for ``bench/catalog_bench.py``: listed listings of a Deyang-like exchange.

87 merchants (the four merchant kinds) own 1,700 elements (one version each) in ten domains;
each listing has a district + topic title, a bilingual summary, the element's columns, one
plan and popularity counters. Catalog entries and terms come from the same functions the
service uses when a listing is published (``search_fields``, ``document_terms``, bands).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from marketplace.accounts.models import MERCHANT_KINDS, OrgKind
from marketplace.db import Base
from marketplace.listings import pricing
from marketplace.listings.facets import facet_key, mode_bits
from marketplace.listings.index import search_fields
from marketplace.listings.text import document_terms

MERCHANTS, ELEMENTS, CHUNK = 87, 1_700, 5_000
DISTRICTS = ["旌阳区", "罗江区", "广汉市", "什邡市", "绵竹市", "中江县", "德阳市"]
TOPICS: dict[str, list[tuple[str, str]]] = {  # domain -> (topic, English words)
    "交通": [("停车泊位占用", "parking occupancy"), ("公交刷卡客流", "bus ridership"),
           ("充电桩使用", "charging piles"), ("道路拥堵指数", "traffic congestion")],
    "企业": [("企业信用评价", "enterprise credit"), ("市场主体登记", "business registry"),
           ("企业纳税信用", "tax credit"), ("招投标公告", "public tenders")],
    "政务热线": [("12345热线工单", "hotline tickets"), ("市民诉求分类", "citizen requests")],
    "公用事业": [("居民用水抄表", "water meter readings"), ("居民用电负荷", "electricity load"),
             ("燃气月度用量", "gas usage")],
    "医疗": [("门诊就诊人次", "outpatient visits"), ("药品采购价格", "drug procurement")],
    "教育": [("学位供给统计", "school places"), ("校外培训机构", "tutoring centres")],
    "环境": [("空气质量监测", "air quality"), ("河流断面水质", "river water quality")],
    "农业": [("农产品价格", "farm prices"), ("耕地墒情监测", "soil moisture")],
    "金融": [("普惠贷款统计", "inclusive loans"), ("保险理赔汇总", "insurance claims")],
    "文旅": [("景区客流", "tourist flows"), ("酒店入住率", "hotel occupancy")],
}
SUFFIXES = ["数据", "统计", "明细", "月报", "指数", "画像"]
COLUMNS = [{"name": n, "description": d} for n, d in (
    ("district", "所属区县"), ("month", "统计月份"), ("count", "数量"), ("amount", "金额"))]
MODES = [["records_api", "sandbox"], ["records_api"], ["sandbox"]]
PRICES = [0, 500, 2_000, 50_000, 300_000, 1_200_000, 5_000_000]
CLASSES = ["general", "general", "important", "core"]


def _rows(table: str, rows: list[dict[str, Any]], conn: sa.Connection) -> None:
    for start in range(0, len(rows), CHUNK):
        conn.execute(Base.metadata.tables[table].insert(), rows[start:start + CHUNK])


def _elements(conn: sa.Connection, now: datetime) -> tuple[list[dict[str, Any]], str]:
    user = {"id": "usr_bench0000000000", "email": "bench@example.org", "display_name": "b",
            "password_hash": "x", "is_active": True, "created_at": now}
    _rows("users", [user], conn)
    kinds = [k for k in OrgKind if k in MERCHANT_KINDS]
    orgs = [{"id": f"org_bench{i:011d}", "name": f"德阳{i:02d}号数据科技有限公司",
             "kind": kinds[i % len(kinds)], "status": "approved", "created_by": user["id"],
             "created_at": now} for i in range(MERCHANTS)]
    _rows("organizations", orgs, conn)
    domains = list(TOPICS)
    elements, versions = [], []
    for i in range(ELEMENTS):
        domain = domains[i % len(domains)]
        topic, words = TOPICS[domain][i // len(domains) % len(TOPICS[domain])]
        org = orgs[i % MERCHANTS]
        elements.append({"id": f"elm_bench{i:011d}", "owner_org_id": org["id"], "title": topic,
                         "description": f"德阳市{topic}（{words}）", "created_by": user["id"],
                         "created_at": now, "latest_version": 1, "domain": domain,
                         "words": words, "org": org, "score": 55 + (i * 7) % 46})
        versions.append({"id": f"elv_bench{i:011d}", "element_id": elements[-1]["id"],
                         "version": 1, "spec": {}, "spec_hash": "0" * 64, "inputs": [],
                         "output_sha256": "0" * 64, "output_size": 0, "row_count": 0,
                         "schema": COLUMNS, "quality": {"score": elements[-1]["score"]},
                         "pii": {}, "k_anonymity": [], "sample": [], "engine_version": "b",
                         "delivery_modes": MODES[0], "created_by": user["id"],
                         "created_at": now, "ledger_index": 0})
    keep = ("id", "owner_org_id", "title", "description", "created_by", "created_at",
            "latest_version")
    _rows("elements", [{k: e[k] for k in keep} for e in elements], conn)
    _rows("element_versions", versions, conn)
    return elements, user["id"]


def load(engine: sa.Engine, n: int, rng: random.Random) -> int:
    """Insert ``n`` listed listings; returns the number of search terms written."""
    now = datetime(2026, 11, 1, tzinfo=UTC)
    terms = 0
    with engine.begin() as conn:
        elements, user = _elements(conn, now)
        listings, plans, stats, entries, postings = [], [], [], [], []
        for i in range(n):
            e = elements[i % ELEMENTS]
            lid, district = f"lst_bench{i:011d}", rng.choice(DISTRICTS)
            title = f"{district}{e['title']}{rng.choice(SUFFIXES)}"
            summary = f"{district}{e['title']}，{2020 + i % 6}年起。{e['words']} data, Deyang."
            modes, price = rng.choice(MODES), rng.choice(PRICES)
            at = now + timedelta(seconds=i)
            listings.append({
                "id": lid, "element_id": e["id"], "element_version_id": e["id"].replace(
                    "elm", "elv"), "version": 1, "org_id": e["owner_org_id"],
                "state": "listed", "title": title, "summary": summary, "domain": e["domain"],
                "delivery_modes": modes, "license_template": "internal-analytics",
                "license_params": {}, "currency": "CNY", "price_from_fen": price,
                "plans_outside": [], "created_by": user, "created_at": at, "listed_at": at})
            plans.append({"id": f"pln_bench{i:011d}", "listing_id": lid, "position": 0,
                          "kind": "free" if price == 0 else "one_off", "currency": "CNY",
                          "price_fen": price})
            stats.append({"listing_id": lid, "orders": rng.randrange(50) if i % 3 else 0,
                          "usage": rng.randrange(10_000)})
            centi = pricing.quality_centi(e["score"])
            bands = (pricing.price_band(price), pricing.quality_band(centi))
            classification = rng.choice(CLASSES)
            entries.append({
                "doc_id": i + 1, "listing_id": lid, "element_id": e["id"], "version": 1,
                "org_id": e["org"]["id"], "merchant_name": e["org"]["name"],
                "merchant_kind": e["org"]["kind"], "title": title, "summary": summary,
                "domain": e["domain"], "modes": mode_bits(modes),
                "classification": classification, "quality_centi": centi,
                "quality_band": bands[1], "price_from_fen": price, "price_band": bands[0],
                "currency": "CNY", "listed_at": at,
                "facet_key": facet_key(e["org"]["kind"].value, modes, *bands, classification)})
            weights = document_terms(search_fields(title, summary, e["domain"], e["org"]["name"],
                                                   e["description"], COLUMNS))
            postings += [(t, w, i + 1) for t, w in weights.items()]
            if len(postings) > 500_000 or i == n - 1:  # flush: keeps memory flat
                for table, rows in (("listings", listings), ("listing_plans", plans),
                                    ("listing_stats", stats), ("catalog_entries", entries)):
                    _rows(table, rows, conn)
                    rows.clear()
                conn.exec_driver_sql("INSERT INTO catalog_terms (term, weight, doc_id) "
                                     "VALUES (?, ?, ?)", sorted(postings))
                terms += len(postings)
                postings.clear()
        generation = Base.metadata.tables["catalog_generation"]  # as index.add would bump it
        conn.execute(generation.delete())
        conn.execute(generation.insert(), [{"id": 1, "value": n}])
    return terms
