"""The merchant console's query-policy form (issue 7 §2, issue 8 §2) over the real services:
the element page shows the policy in force; the form is prefilled (a guess when there is none),
saves through the API's service so the API returns exactly what was typed, resubmitting it
unchanged changes nothing, bad values are shown per field and store nothing, and the API's
authorisation applies (a rival: 404 while unlisted, 403 once listed; a member may set it)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketplace.web.pages.merchant_policy_errors import field_errors, translate
from marketplace.web.pages.merchant_policy_form import FIELDS, texts
from sandbox import QueryPolicy
from tests.api import access_world
from tests.api.listing_world import build_element, listed
from tests.api.world import World, build_world
from tests.web.console import Console, console_for


class _Form(HTMLParser):
    """What a browser would submit from ``form#policy-form`` as it is rendered."""

    def __init__(self) -> None:
        super().__init__()
        self.inside, self.select, self.fields = False, None, {}  # type: ignore[var-annotated]
        self.first_option: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("id") == "policy-form"
        elif self.inside and tag == "input" and "name" in a:
            if a.get("type") != "checkbox" or "checked" in a:
                self.fields.setdefault(a["name"], []).append(a.get("value", ""))
        elif self.inside and tag == "select":
            self.select = a["name"]
        elif self.select and tag == "option":
            self.first_option.setdefault(self.select, a["value"])
            if "selected" in a:
                self.fields[self.select] = [a["value"]]

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self.select:
            self.fields.setdefault(self.select, [self.first_option[self.select]])
            self.select = None
        elif tag == "form":
            self.inside = False


def form_fields(html: str) -> dict[str, list[str]]:
    parser = _Form()
    parser.feed(html)
    parser.fields.pop("csrf_token", None)  # Console.post adds the token of its own session
    return parser.fields


def text(response: Any) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def world(app: Any) -> World:
    return build_world(app)


@pytest.fixture
def merchant(app: Any, world: World) -> Console:
    return console_for(app, world["merchant"].email)


def api_policy(world: World, element_id: str) -> dict[str, Any]:
    return world.ok("GET", f"/elements/{element_id}/query-policy", world["merchant"])


def test_form_prefills_a_guess_and_saves_exactly_what_the_api_returns(
        world: World, merchant: Console) -> None:
    element_id = build_element(world)["element_id"]  # 区县,类别,数量: no identity found
    assert api_policy(world, element_id)["source"] == "none"
    page = text(merchant.get(f"/merchant/elements/{element_id}"))
    assert 'data-source="none"' in page and "No identity column was found" in page
    link = re.search(r'id="edit-query-policy" href="([^"]+)"', page)
    assert link and link.group(1) == f"/merchant/elements/{element_id}/query-policy"

    path = link.group(1)
    fields = form_fields(text(merchant.get(path)))
    # The guess: the most distinct column is the identity; the sandbox's default rules do
    # the rest (text/int columns are dimensions), and nothing is excluded.
    assert fields["identity"] == ["区县"] and fields["dimensions"] == ["类别", "数量"]
    assert fields["k"] == ["10"] and "excluded_columns" not in fields
    fields.update({"dimensions": ["类别"], "aggregates-2-functions": ["count", "sum", "avg"],
                   "aggregates-2-lower": [" 0 "], "aggregates-2-upper": ["10"], "k": ["2"],
                   "epsilon_per_query": ["0.25"], "epsilon_per_license": ["5"],
                   "max_rows": ["50"], "max_groups": ["500"], "excluded_columns": ["区县"]})
    saved = merchant.post(path, fields, page=path)
    assert saved.status_code == 303 and saved.headers["Location"] == \
        f"/merchant/elements/{element_id}"

    api = api_policy(world, element_id)
    assert api["source"] == "stored" and api["excluded_columns"] == ["区县"]
    assert api["policy"] == {
        "table": "element", "identity": "区县", "dimensions": ["类别"],
        "aggregates": {"数量": {"functions": ["avg", "count", "sum"], "lower": "0",
                              "upper": "10"}},
        "k": 2, "epsilon_per_query": "0.25", "epsilon_per_license": "5", "max_rows": 50,
        "max_groups": 500, "max_rows_per_identity": 1, "allow_joins": False,
        "allow_subqueries": False}
    page = text(merchant.get(f"/merchant/elements/{element_id}"))
    assert 'data-source="stored"' in page
    assert '<dd id="query-policy-k">2</dd>' in page
    assert '<dd id="query-policy-aggregates">数量: average, count, sum [0, 10]</dd>' in page
    again = form_fields(text(merchant.get(path)))
    assert again["aggregates-2-functions"] == ["count", "sum", "avg"]
    assert again["excluded_columns"] == ["区县"] and again["epsilon_per_query"] == ["0.25"]


COLUMNS = ("区县", "类别", "数量")
DECIMALS = st.decimals(min_value="0.01", max_value="100", places=2)


@st.composite
def policies(draw: Any) -> tuple[dict[str, Any], list[str]]:
    """Valid policies for access_world's element (id, 区县, 类别, 数量)."""
    eps = draw(DECIMALS)
    rows = draw(st.integers(1, 5000))
    doc: dict[str, Any] = {
        "identity": "id", "table": draw(st.from_regex(r"[a-z_][a-z0-9_]{0,10}", fullmatch=True)),
        "dimensions": draw(st.lists(st.sampled_from(COLUMNS[:2]), unique=True)),
        "k": draw(st.integers(2, 1000)), "epsilon_per_query": str(eps),
        "epsilon_per_license": str(eps + draw(DECIMALS)), "max_rows": rows,
        "max_groups": rows + draw(st.integers(0, 5000)),
        "max_rows_per_identity": draw(st.integers(1, 9))}
    functions = draw(st.lists(st.sampled_from(["count", "count_distinct", "sum", "avg"]),
                              unique=True))
    if functions:
        low = draw(st.integers(-100, 100))
        doc["aggregates"] = {"数量": {"functions": functions, "lower": str(low),
                                    "upper": str(low + draw(st.integers(1, 100)))}}
    return doc, draw(st.lists(st.sampled_from(COLUMNS), unique=True))


@pytest.fixture
def id_element(world: World) -> str:
    return access_world.element(world)


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(policies())
def test_resubmitting_the_prefilled_form_changes_nothing(
        world: World, merchant: Console, id_element: str,
        case: tuple[dict[str, Any], list[str]]) -> None:
    doc, excluded = case
    before = world.ok("PUT", f"/elements/{id_element}/query-policy", world["merchant"],
                      json={"policy": doc, "excluded_columns": excluded})
    path = f"/merchant/elements/{id_element}/query-policy"
    response = merchant.post(path, form_fields(text(merchant.get(path))), page=path)
    assert response.status_code == 303, text(response)[:3000]
    after = api_policy(world, id_element)
    assert (after["policy"], after["excluded_columns"]) == \
        (before["policy"], before["excluded_columns"])


def test_bad_values_are_shown_per_field_and_store_nothing(app: Any, world: World,
                                                          merchant: Console) -> None:
    element_id = access_world.element(world)
    before = api_policy(world, element_id)
    assert before["source"] == "default"
    path = f"/merchant/elements/{element_id}/query-policy"
    fields = form_fields(text(merchant.get(path)))
    assert fields["identity"] == ["id"]

    typo = merchant.post(path, {**fields, "max_rows": ["ten"], "k": ["1.5"]}, page=path)
    assert typo.status_code == 422
    html = text(typo)
    for name in ("max_rows", "k"):
        assert re.search(rf'id="policy-{name}-errors">\s*<li>Enter a whole number\.', html)
    assert 'value="ten"' in html  # the typed text is kept for fixing

    unparsable = merchant.post(path, {**fields, "epsilon_per_query": ["abc"]}, page=path)
    assert unparsable.status_code == 422
    assert re.search(r'id="policy-epsilon_per_query-errors">\s*<li>Enter a number, e\.g\. 0\.5\.',
                     text(unparsable))

    bad = {**fields, "k": ["1"], "epsilon_per_license": ["0.1"], "allow_joins": ["yes"],
           "aggregates-3-functions": ["sum"], "max_rows": ["20000"]}
    response = merchant.post(path, bad, page=path)
    assert response.status_code == 422
    html = text(response)
    expected = {"k": "Must be at least 2.",
                "epsilon_per_license": "Must be at least the privacy budget per query.",
                "allow_joins": "Not supported in this version.",
                "aggregates-3": "Sum and average need numeric bounds with lower &lt; upper.",
                "max_rows": "Must not exceed the maximum groups per query."}
    for name, message in expected.items():
        found = re.search(rf'id="policy-{name}-errors">(.*?)</ul>', html, re.S)
        assert found and message in found.group(1), name
    assert 'id="form-message"' in html
    assert api_policy(world, element_id) == before  # nothing stored

    chinese = console_for(app, world["merchant"].email, lang="zh")
    response = chinese.post(path, bad, page=path)
    assert response.status_code == 422 and "至少为 2。" in text(response)
    assert api_policy(world, element_id) == before


def test_rival_is_refused_like_the_api_and_a_member_may_set_it(app: Any, world: World,
                                                               merchant: Console) -> None:
    element_id = access_world.element(world)
    path = f"/merchant/elements/{element_id}/query-policy"
    fields = form_fields(text(merchant.get(path)))
    rival = console_for(app, world["rival"].email)
    assert rival.get(path).status_code == 404
    assert rival.post(path, fields, page="/merchant/elements").status_code == 404
    for name in ("operator", "buyer"):
        assert console_for(app, world[name].email).get(path).status_code == 403
    assert api_policy(world, element_id)["source"] == "default"

    member = console_for(app, world["member"].email)
    api = world.call("PUT", f"/elements/{element_id}/query-policy", world["member"],
                     json={"policy": access_world.POLICY})
    assert api.status_code == 200  # the API lets a merchant_member set it, so does the page
    response = member.post(path, {**fields, "k": ["7"]}, page=path)
    assert response.status_code == 303
    assert api_policy(world, element_id)["policy"]["k"] == 7

    listed(world, element_id)  # readable by anyone signed in now; still not the rival's
    assert world.call("PUT", f"/elements/{element_id}/query-policy", world["rival"],
                      json={"policy": access_world.POLICY}).status_code == 403
    assert rival.get(path).status_code == 403
    assert rival.post(path, fields, page="/merchant/elements").status_code == 403
    assert api_policy(world, element_id)["policy"]["k"] == 7


def test_the_form_has_an_input_for_every_policy_member(app: Any) -> None:
    members = set(QueryPolicy(identity="id", dimensions=frozenset()).to_dict())
    assert {f.name for f in FIELDS} == members | {"excluded_columns"}
    with app.test_request_context():
        labels = texts()
        assert all(labels.get(f.name, ("", ""))[0] for f in FIELDS)


def test_api_error_paths_land_on_their_inputs(app: Any) -> None:
    long = "x" * 90
    flat = {"policy./k": ["must be at least 2"],
            "policy./aggregates/数量/functions": ["must be a non-empty subset of ['count']"],
            f"policy./aggregates/{long}"[:87]: ["sum/avg need numeric bounds with lower < upper"],
            "policy./": ["unknown columns: y"], "excluded_columns": ["Not a column: z"],
            "policy./unknown": ["unknown member"]}
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert field_errors(flat, ["数量", long]) == {
            "k": ["Must be at least 2."], "aggregates.数量": ["Choose at least one function."],
            f"aggregates.{long}": ["Sum and average need numeric bounds with lower < upper."],
            "_schema": ["unknown columns: y", "/unknown: unknown member"],
            "excluded_columns": ["Not a column: z"]}
        assert translate("something new") == "something new"
