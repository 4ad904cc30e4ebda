"""The public valuation range (issue 8 §1, :func:`marketplace.valuations.queries.public_range`):
for a listed element, the lowest low and highest high of its listed versions' valuations, how
many, which methods and the latest date — nothing for an element outside the catalog, and no
field that could name an agency or show a record's inputs."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import pytest

from marketplace.clock import utcnow
from marketplace.valuations.queries import PublicRange, public_range
from tests.api import listing_world
from tests.api.valuation_world import COST, INCOME, value
from tests.api.world import World, build_world
from tests.web.public_world import listed_element, new_version


@pytest.fixture
def world(app: Any) -> World:
    return build_world(app)


def _range(world: World, element_id: str) -> PublicRange | None:
    with world.app.app_context():
        return public_range(element_id)


def test_public_range_shows_no_agency_or_inputs() -> None:
    assert {f.name for f in fields(PublicRange)} == {
        "currency", "low_fen", "high_fen", "count", "methods", "latest"}


def test_a_listed_element_without_valuations_has_no_range(world: World) -> None:
    assert _range(world, listed_element(world)["element_id"]) is None
    assert _range(world, "elm_doesnotexist00") is None


def test_two_valuations_give_the_lowest_low_and_the_highest_high(world: World) -> None:
    element_id = listed_element(world)["element_id"]
    cost = value(world, element_id, {"methods": COST})
    income = value(world, element_id, {"methods": INCOME})
    assert cost["low_fen"] != income["low_fen"] and cost["high_fen"] != income["high_fen"]
    assert _range(world, element_id) == PublicRange(
        "CNY", min(cost["low_fen"], income["low_fen"]),
        max(cost["high_fen"], income["high_fen"]), 2, ("cost", "income"), utcnow().date())


def test_valuations_of_an_unlisted_version_are_left_out(world: World) -> None:
    element_id = listed_element(world)["element_id"]
    cost = value(world, element_id, {"methods": COST})
    assert new_version(world, element_id, "第二版") == 2
    value(world, element_id, {"methods": INCOME, "element_version": 2})
    found = _range(world, element_id)
    assert found is not None
    assert (found.low_fen, found.high_fen, found.count, found.methods) == (
        cost["low_fen"], cost["high_fen"], 1, ("cost",))


def test_an_element_outside_the_catalog_exposes_nothing(world: World) -> None:
    draft = listing_world.build_element(world)["element_id"]
    listing_world.draft(world, draft)
    value(world, draft, {"methods": COST})
    assert _range(world, draft) is None
    listed = listed_element(world)
    value(world, listed["element_id"], {"methods": COST})
    assert _range(world, listed["element_id"]) is not None
    listing_world.advance(world, listed["listing_id"], "delist")
    assert _range(world, listed["element_id"]) is None
