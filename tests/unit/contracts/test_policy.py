"""contracts.policy_from_dict: strict parsing, each problem reported with a JSON-pointer path."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts import (
    PROFILE,
    Constraint,
    LeftOperand,
    Operator,
    Permission,
    Policy,
    PolicyError,
    policy_from_dict,
    policy_to_dict,
)
from tests.unit.contracts.strategies import policies

PURPOSE = {"leftOperand": "purpose", "operator": "isAnyOf", "rightOperand": ["research"]}
BASE: dict[str, Any] = {
    "uid": "lic-1",
    "profile": PROFILE,
    "permission": [{"action": "query", "constraint": [PURPOSE],
                    "duty": [{"action": "compensate", "amount_fen": 100, "currency": "CNY"}]}],
    "prohibition": [{"action": "resell", "constraint": []}],
    "obligation": [{"action": "delete", "within_days": 30}],
}
C0 = "/permission/0/constraint/0"
D0 = "/permission/0/duty/0"


def leaf(left: str, op: str, right: Any) -> dict[str, Any]:
    return {"leftOperand": left, "operator": op, "rightOperand": right}


def nest(levels: int) -> dict[str, Any]:
    node: dict[str, Any] = PURPOSE
    for _ in range(levels):
        node = {"and": [node]}
    return node


def with_(path: str, value: Any, base: dict[str, Any] | None = None) -> dict[str, Any]:
    """``base`` (default BASE) with the member at ``path`` replaced, or deleted for DELETE."""
    doc = copy.deepcopy(BASE if base is None else base)
    *parents, last = path.strip("/").split("/")
    node: Any = doc
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    key: Any = int(last) if isinstance(node, list) else last
    if value is DELETE:
        del node[key]
    else:
        node[key] = value
    return doc


DELETE = object()
BAD: list[tuple[str, Any, str]] = [
    # (what, document, expected error path)
    ("not an object", [], ""),
    ("missing uid", with_("/uid", DELETE), "/uid"),
    ("unknown top-level member", {**BASE, "target": "x"}, "/target"),
    ("uid not text", with_("/uid", 5), "/uid"),
    ("uid empty", with_("/uid", ""), "/uid"),
    ("uid with newline", with_("/uid", "a\nb"), "/uid"),
    ("uid too long", with_("/uid", "u" * 129), "/uid"),
    ("null member", with_("/obligation", None), "/obligation"),
    ("foreign profile", with_("/profile", "http://www.w3.org/ns/odrl/2/core"), "/profile"),
    ("permission not a list", with_("/permission", {}), "/permission"),
    ("permission item not an object", with_("/permission/0", "use"), "/permission/0"),
    ("permission missing action", with_("/permission/0/action", DELETE), "/permission/0/action"),
    ("unknown action", with_("/permission/0/action", "sell"), "/permission/0/action"),
    ("action not text", with_("/permission/0/action", ["use"]), "/permission/0/action"),
    ("unknown permission member", with_("/permission/0/target", "e1"), "/permission/0/target"),
    ("prohibition with duty", with_("/prohibition/0/duty", []), "/prohibition/0/duty"),
    ("constraint not a list", with_("/permission/0/constraint", PURPOSE),
     "/permission/0/constraint"),
    ("unknown left operand", with_(f"{C0}/leftOperand", "weather"), f"{C0}/leftOperand"),
    ("unknown operator", with_(f"{C0}/operator", "isA"), f"{C0}/operator"),
    ("missing right operand", with_(f"{C0}/rightOperand", DELETE), f"{C0}/rightOperand"),
    ("unknown constraint member", with_(f"{C0}/unit", "x"), f"{C0}/unit"),
    ("operator not for operand", with_(C0, leaf("count", "isAnyOf", [1])), f"{C0}/operator"),
    ("ordering a purpose", with_(C0, leaf("purpose", "lt", "research")), f"{C0}/operator"),
    ("isAllOf a region", with_(C0, leaf("spatial", "isAllOf", ["CN"])), f"{C0}/operator"),
    ("count as text", with_(C0, leaf("count", "lteq", "5")), f"{C0}/rightOperand"),
    ("count negative", with_(C0, leaf("count", "lteq", -1)), f"{C0}/rightOperand"),
    ("count boolean", with_(C0, leaf("count", "lteq", True)), f"{C0}/rightOperand"),
    ("count float", with_(C0, leaf("count", "lteq", 5.0)), f"{C0}/rightOperand"),
    ("count beyond 2**53", with_(C0, leaf("count", "lteq", 2**53)), f"{C0}/rightOperand"),
    ("set operator, scalar", with_(C0, leaf("purpose", "isAnyOf", "research")),
     f"{C0}/rightOperand"),
    ("empty set", with_(C0, leaf("purpose", "isAnyOf", [])), f"{C0}/rightOperand"),
    ("duplicate set values", with_(C0, leaf("purpose", "isNoneOf", ["ads", "ads"])),
     f"{C0}/rightOperand"),
    ("oversize set", with_(C0, leaf("recipient", "isAnyOf", [f"org{i}" for i in range(65)])),
     f"{C0}/rightOperand"),
    ("bad purpose slug", with_(C0, leaf("purpose", "isAnyOf", ["research", "Ads!"])),
     f"{C0}/rightOperand/1"),
    ("purpose as object", with_(C0, leaf("purpose", "eq", {"v": 1})), f"{C0}/rightOperand"),
    ("region not ISO 3166", with_(C0, leaf("spatial", "eq", "china")), f"{C0}/rightOperand"),
    ("recipient with spaces", with_(C0, leaf("recipient", "eq", "org a")), f"{C0}/rightOperand"),
    ("naive date-time", with_(C0, leaf("dateTime", "lt", "2026-01-01T00:00:00")),
     f"{C0}/rightOperand"),
    ("not a date-time", with_(C0, leaf("dateTime", "lt", "next week")), f"{C0}/rightOperand"),
    ("date-time out of range", with_(C0, leaf("dateTime", "gt", "0001-01-01T00:00:00+08:00")),
     f"{C0}/rightOperand"),
    ("date-time as number", with_(C0, leaf("dateTime", "gt", 1767225600)), f"{C0}/rightOperand"),
    ("duration in hours", with_(C0, leaf("elapsedTime", "lt", "PT24H")), f"{C0}/rightOperand"),
    ("duration too long", with_(C0, leaf("elapsedTime", "lt", "P36501D")), f"{C0}/rightOperand"),
    ("empty logical constraint", with_(C0, {"and": []}), f"{C0}/and"),
    ("logical operand not a list", with_(C0, {"or": PURPOSE}), f"{C0}/or"),
    ("xone is not supported", with_(C0, {"xone": [PURPOSE]}), f"{C0}/xone"),
    ("bad leaf inside logical", with_(C0, {"or": [PURPOSE, leaf("count", "lt", "x")]}),
     f"{C0}/or/1/rightOperand"),
    ("nested too deep", with_(C0, nest(5)), f"{C0}/and/0/and/0/and/0/and/0"),
    ("too many permissions", with_("/permission", [{"action": "use"}] * 33), "/permission"),
    ("too many constraints", with_("/permission/0/constraint", [PURPOSE] * 17),
     "/permission/0/constraint"),
    ("unknown duty action", with_(f"{D0}/action", "pay"), f"{D0}/action"),
    ("payment without currency", with_(f"{D0}/currency", DELETE), f"{D0}/currency"),
    ("lower-case currency", with_(f"{D0}/currency", "cny"), f"{D0}/currency"),
    ("fractional amount", with_(f"{D0}/amount_fen", 1.5), f"{D0}/amount_fen"),
    ("negative amount", with_(f"{D0}/amount_fen", -100), f"{D0}/amount_fen"),
    ("foreign key on a duty", with_(f"{D0}/attribution", "x"), f"{D0}/attribution"),
    ("unknown duty member", with_(f"{D0}/due", "2026-01-01"), f"{D0}/due"),
    ("delete too late", with_("/obligation/0/within_days", 3651), "/obligation/0/within_days"),
    ("attribution missing", with_("/obligation/0", {"action": "attribute"}),
     "/obligation/0/attribution"),
    ("attribution with control char", with_("/obligation/0",
                                            {"action": "attribute", "attribution": "a\x00"}),
     "/obligation/0/attribution"),
]


def test_base_document_is_valid():
    assert policy_to_dict(policy_from_dict(BASE)) == BASE


@pytest.mark.parametrize(("doc", "path"), [(d, p) for _, d, p in BAD], ids=[w for w, *_ in BAD])
def test_bad_documents_are_rejected_with_a_path(doc, path):
    with pytest.raises(PolicyError) as info:
        policy_from_dict(doc)
    assert info.value.path == path
    assert str(info.value).startswith(f"{path or '/'}: ")


def test_huge_lists_are_rejected_before_parsing_items():
    doc = {"uid": "x", "permission": [None] * 100_000}
    with pytest.raises(PolicyError) as info:
        policy_from_dict(doc)
    assert info.value.path == "/permission"


def test_optional_members_default_to_empty():
    policy = policy_from_dict({"uid": "x"})
    assert policy == Policy("x")
    assert policy.profile == PROFILE


def test_instants_are_normalised_to_utc():
    policy = policy_from_dict({"uid": "x", "permission": [{"action": "use", "constraint": [
        leaf("dateTime", "lt", "2026-01-01T08:00:00+08:00")]}]})
    assert policy.permissions[0].constraints[0].right_operand == datetime(2026, 1, 1, tzinfo=UTC)
    doc = policy_to_dict(policy)
    assert doc["permission"][0]["constraint"][0]["rightOperand"] == "2026-01-01T00:00:00Z"


def test_python_values_are_normalised_like_documents():
    """Constructors accept enum text, lists and offsets, and yield the same value as parsing."""
    beijing = timezone(timedelta(hours=8))
    built = Constraint("dateTime", "gteq", datetime(2026, 1, 1, 8, tzinfo=beijing))
    assert built == Constraint(LeftOperand.DATE_TIME, Operator.GTEQ,
                               datetime(2026, 1, 1, tzinfo=UTC))
    assert Constraint("purpose", "isAnyOf", ["b", "a"]).right_operand == frozenset({"a", "b"})
    assert Permission("use", [built]).constraints == (built,)
    with pytest.raises(PolicyError) as info:
        Constraint("spatial", "eq", "Mars")
    assert info.value.path == "/rightOperand"


_json = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=5)),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.text(max_size=12), inner, max_size=3)),
    max_leaves=10,
)


def _paths(value: Any, here: str = "") -> list[str]:
    out = [here]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, f"{here}/{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, f"{here}/{i}")
    return out


@given(policies, st.data())
def test_any_corruption_yields_policy_error_or_a_policy(policy, data):
    """Replacing any node of a valid document by junk never raises anything but PolicyError."""
    doc = policy_to_dict(policy)
    path = data.draw(st.sampled_from(_paths(doc)[1:]))
    doc = with_(path, data.draw(_json), doc)
    try:
        assert isinstance(policy_from_dict(doc), Policy)
    except PolicyError as exc:
        assert exc.path.startswith("/") or exc.path == ""

