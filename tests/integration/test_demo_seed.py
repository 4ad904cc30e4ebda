"""``flask demo load`` builds the demo world once; running it again changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from marketplace.accounts.models import Organization, OrgStatus, User
from marketplace.assets.models import Asset, AssetVersion
from marketplace.db import db
from marketplace.demo_elements import ELEMENTS
from marketplace.demo_seed import ASSETS, ORGS, load_demo_world
from marketplace.elements.models import Element, ElementVersion


def _counts() -> tuple[int, ...]:
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (User, Organization, Asset, AssetVersion, Element, ElementVersion))


def test_demo_world_is_complete_and_idempotent(app: Any) -> None:
    runner = app.test_cli_runner()
    with app.app_context():
        load_demo_world(rows=40)
        first = _counts()
        assert first[1] == len(ORGS) + 1  # + the operating company
        assert first[2] == first[3] == len(ASSETS)
        assert first[4] == first[5] == len(ELEMENTS)  # every demo pipeline builds
        statuses = set(db.session.scalars(select(Organization.status)))
        assert statuses == {OrgStatus.approved}
        encodings = {v.encoding for v in db.session.scalars(select(AssetVersion))}
        assert "gbk" in encodings or "gb18030" in encodings
    result = runner.invoke(args=["demo", "load", "--rows", "40"])
    assert result.exit_code == 0, result.output
    assert "already loaded" in result.output
    with app.app_context():
        assert _counts() == first


@pytest.mark.parametrize(("query", "expected"), [
    ("停车", ["智慧停车泊位占用 Smart parking occupancy"]),
    ("企业信用", ["德阳企业信用登记信息（脱敏） Enterprise credit registry"]),
    ("parking", ["智慧停车泊位占用 Smart parking occupancy"]),
    ("hotline", ["12345 热线工单（脱敏） Citizen hotline tickets"]),
    ("Utility consumption", ["水电气月度用量（按区县汇总） Utility consumption by district"]),
])
def test_the_catalog_finds_the_demo_elements(app: Any, query: str, expected: list[str]) -> None:
    """Issue 5 acceptance: catalog search returns the demo elements for Chinese and English
    queries (and only the matching ones)."""
    with app.app_context():
        load_demo_world(rows=40)
    found = app.test_client().get("/api/v1/catalog", query_string={"q": query}).get_json()
    assert [item["title"] for item in found["items"]] == expected
    everything = app.test_client().get("/api/v1/catalog").get_json()
    assert everything["total"] == len(ELEMENTS)
