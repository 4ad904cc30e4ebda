"""QualityRules from JSON: strict validation whose every error names the offending rule, and a
JSON round trip (hypothesis) that loses nothing."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.pipeline.quality_rules import (
    DIMENSIONS,
    SEMANTIC_TYPES,
    QualityRules,
    QualityRulesError,
)

COLUMNS = ["a", "b", "c"]
BAD = [
    ({"consistency": [{"rule": "le", "left": "a", "right": "nope"}]},
     "consistency[0] (le): unknown column 'nope'"),
    ({"unique_keys": [["a"], ["a", "zz"]]}, "unique_keys[1]: unknown column 'zz'"),
    ({"consistency": [{"rule": "same_value", "key": "a", "value": "q"}]},
     "consistency[0] (same_value): unknown column 'q'"),
    ({"accuracy": [{"rule": "allowed", "column": "x", "values": [1]}]},
     "accuracy[0] (allowed): unknown column 'x'"),
    ({"patterns": {"d": "x"}}, "patterns.d: unknown column 'd'"),
    ({"as_of": "2025-01-01", "timeliness": {"column": "t", "window_days": 3}},
     "timeliness: unknown column 't'"),
    ({"patterns": {"a": "(unclosed"}}, "patterns.a: invalid RE2 pattern"),
    ({"patterns": {"a": ""}}, "patterns.a: must be a non-empty RE2 pattern"),
    ({"semantic_types": {"a": "passport"}}, "semantic_types.a: must be one of"),
    ({"accuracy": [{"rule": "range", "column": "a"}]}, "accuracy[0]: needs min or max"),
    ({"accuracy": [{"rule": "range", "column": "a", "min": 5, "max": 1}]}, "accuracy[0]: min"),
    ({"accuracy": [{"rule": "range", "column": "a", "min": "2025-01-01", "max": 3}]},
     "accuracy[0]: min and max must be of one kind"),
    ({"accuracy": [{"rule": "range", "column": "a", "min": "soon"}]}, "accuracy[0]: 'soon'"),
    ({"accuracy": [{"rule": "allowed", "column": "a", "values": ["x", 1]}]}, "accuracy[0]"),
    ({"accuracy": [{"rule": "allowed", "column": "a", "values": []}]}, "accuracy[0]"),
    ({"accuracy": [{"rule": "total", "column": "a", "expected": True}]}, "accuracy[0]: True"),
    ({"accuracy": [{"rule": "total", "column": "a", "expected": 1, "tolerance": -1}]},
     "accuracy[0]: tolerance"),
    ({"accuracy": [{"rule": "median", "column": "a"}]}, "accuracy[0]: rule must be one of"),
    ({"accuracy": [{"rule": "range", "column": "a", "min": 0, "colour": 1}]},
     "accuracy[0]: unknown keys ['colour']"),
    ({"consistency": [{"rule": "le", "left": "a"}]}, "consistency[0]: missing ['right']"),
    ({"consistency": [{"rule": "like", "left": "a", "right": "b"}]}, "consistency[0]: rule"),
    ({"consistency": ["le"]}, "consistency[0]: rule must be one of"),
    ({"consistency": {"rule": "le"}}, "consistency: must be a list"),
    ({"consistency": [{"rule": "le", "left": "a", "right": "b"}] * 257},
     "consistency: at most 256"),
    ({"unique_keys": [["a", "a"]]}, "unique_keys[0]: needs one or more distinct"),
    ({"unique_keys": [[]]}, "unique_keys[0]: needs one or more distinct"),
    ({"timeliness": {"column": "a", "window_days": 3}}, "timeliness: needs as_of"),
    ({"as_of": "2025-01-01", "timeliness": {"column": "a", "window_days": 0}},
     "timeliness: window_days"),
    ({"as_of": "2025-02-30"}, "as_of: '2025-02-30' is not a calendar date"),
    ({"as_of": "20250101"}, "as_of: must be a YYYY-MM-DD date"),
    ({"weights": {"beauty": 1}}, "weights.beauty"),
    ({"weights": {"validity": -1}}, "weights.validity"),
    ({"weights": dict.fromkeys(DIMENSIONS, 0)}, "weights: at least one weight"),
    ({"colour": 1}, "rules: unknown keys ['colour']"),
    ({"version": 2}, "version: only version 1"),
    ([], "rules: must be an object"),
    ('{"accuracy": [{"rule": "total", "column": "a", "expected": NaN}]}', "is not a finite"),
    ("{", "rules: not JSON"),
]


@pytest.mark.parametrize(("data", "message"), BAD)
def test_errors_name_the_rule(data: object, message: str) -> None:
    with pytest.raises(QualityRulesError) as info:
        QualityRules.from_json(data, COLUMNS)
    assert message in str(info.value)
    assert str(info.value).startswith(info.value.rule + ": ")


def test_columns_are_checked_only_when_given() -> None:
    rules = QualityRules.from_json({"patterns": {"zz": "[a-z]+"}})
    with pytest.raises(QualityRulesError, match=r"^patterns\.zz: unknown column 'zz'$"):
        rules.check_columns(COLUMNS)


names = st.sampled_from(COLUMNS)
scalars = st.one_of(st.integers(-10**6, 10**6), st.floats(-1e6, 1e6, allow_nan=False))
consistency = st.one_of(
    st.fixed_dictionaries({"rule": st.sampled_from(["lt", "le", "eq", "ne", "ge", "gt"]),
                           "left": names, "right": names}),
    st.fixed_dictionaries({"rule": st.just("same_value"),
                           "key": st.lists(names, min_size=1, max_size=3, unique=True),
                           "value": names}),
)
accuracy = st.one_of(
    st.fixed_dictionaries({"rule": st.just("range"), "column": names, "min": scalars}),
    st.fixed_dictionaries({"rule": st.just("range"), "column": names,
                           "max": st.sampled_from(["2025-01-01", "2025-06-30T12:00:00"])}),
    st.fixed_dictionaries({"rule": st.just("allowed"), "column": names,
                           "values": st.lists(st.text(max_size=5), min_size=1, max_size=4)}),
    st.fixed_dictionaries({"rule": st.just("total"), "column": names, "expected": scalars,
                           "tolerance": st.floats(0, 1)}),
)
rules_json = st.fixed_dictionaries({}, optional={
    "semantic_types": st.dictionaries(names, st.sampled_from(SEMANTIC_TYPES)),
    "patterns": st.dictionaries(names, st.sampled_from(["[0-9]+", "川F.{5}", "a|b"])),
    "unique_keys": st.lists(st.lists(names, min_size=1, max_size=3, unique=True), max_size=3),
    "consistency": st.lists(consistency, max_size=4),
    "accuracy": st.lists(accuracy, max_size=4),
    "as_of": st.dates().map(lambda d: d.isoformat()),
    "weights": st.dictionaries(st.sampled_from(DIMENSIONS), st.floats(0.5, 50)),
})


timely = st.fixed_dictionaries({"column": names, "window_days": st.integers(1, 3660)})


@settings(max_examples=60, deadline=None)
@given(st.one_of(rules_json, st.builds(lambda d, t: d | {"as_of": "2025-01-01", "timeliness": t},
                                       rules_json, timely)))
def test_json_round_trip(data: dict) -> None:
    rules = QualityRules.from_json(data, COLUMNS)
    again = QualityRules.from_json(json.dumps(rules.to_json()), COLUMNS)
    assert again == rules
    assert again.to_json() == rules.to_json()
    weights = dict(rules.weights)
    assert set(weights) == set(DIMENSIONS)
    assert all(weights[d] == data.get("weights", {}).get(d, weights[d]) for d in DIMENSIONS)
