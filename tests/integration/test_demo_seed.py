"""``flask demo load`` builds the demo world once; running it again changes nothing."""

from __future__ import annotations

from typing import Any

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
