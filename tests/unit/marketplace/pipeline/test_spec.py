"""Pipeline spec validation (issue 4 §1, "Bad input" acceptance): strict JSON, the schema carried
through every step, and each class of bad input reported under a key naming the step index."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.assets.facts import Column
from marketplace.errors import ValidationFailed
from marketplace.pipeline.spec import FORMAT, MAX_SPEC_BYTES, MAX_STEPS, load_spec
from marketplace.pipeline.steps.registry import REGISTRY

MAIN, DIM = "ver_aaaaaaaaaaaaaaaa", "ver_bbbbbbbbbbbbbbbb"
KNOWN = {
    MAIN: [{"name": "name", "type": "VARCHAR"}, {"name": "age", "type": "BIGINT"},
           {"name": "city", "type": "VARCHAR"}, {"name": "born", "type": "DATE"},
           {"name": "income", "type": "DECIMAL(18,2)"}, {"name": "score", "type": "DOUBLE"},
           {"name": "note", "type": "VARCHAR"}],
    DIM: [("city", "VARCHAR"), ("region", "VARCHAR"), ("population", "BIGINT")],
}
ONE = [{"alias": "t", "version_id": MAIN}]
TWO = [*ONE, {"alias": "d", "version_id": DIM}]


def doc(*steps: dict[str, Any], inputs: list[dict[str, str]] = ONE,
        element: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"format": FORMAT, "inputs": inputs, "steps": list(steps),
            "element": element or {"title": "An element"}}


def errors_of(raw: Any) -> dict[str, list[str]]:
    with pytest.raises(ValidationFailed) as caught:
        load_spec(raw, KNOWN)
    return caught.value.errors


def test_the_schema_is_carried_through_every_step() -> None:
    vp = load_spec(doc(
        {"type": "rename", "columns": {"name": "full_name"}},
        {"type": "cast", "columns": {"age": "INTEGER"}},
        {"type": "join", "input": "d", "on": {"city": "city"}, "how": "left"},
        {"type": "generalise", "column": "born", "method": "date_to_year", "as": "born_year"},
        {"type": "aggregate", "group_by": ["region", "born_year"], "aggregations": [
            {"fn": "count", "as": "n"}, {"fn": "sum", "column": "income", "as": "total"},
            {"fn": "avg", "column": "age", "as": "mean_age"},
            {"fn": "max", "column": "score", "as": "best"}]},
        inputs=TWO), KNOWN)
    assert vp.schemas[0].names[0] == "full_name"
    assert vp.schemas[1].columns[1] == Column("age", "INTEGER")
    assert vp.schemas[2].names[-2:] == ("region", "population")
    assert vp.schemas[3].columns[3] == Column("born_year", "VARCHAR")
    assert vp.schema.columns == (
        Column("region", "VARCHAR"), Column("born_year", "VARCHAR"), Column("n", "BIGINT"),
        Column("total", "DECIMAL(38,2)"), Column("mean_age", "DOUBLE"), Column("best", "DOUBLE"))


def test_spec_hash_is_sha256_of_the_rfc8785_form() -> None:
    d = doc({"type": "mask", "columns": ["name"], "keep_first": 1})
    a = load_spec(json.dumps(d), KNOWN).spec
    b = load_spec(json.dumps(d, indent=3, sort_keys=True).encode(), KNOWN).spec
    assert a.spec_hash == b.spec_hash == hashlib.sha256(rfc8785.dumps(d)).hexdigest()
    d["steps"][0]["keep_first"] = 2
    assert load_spec(d, KNOWN).spec.spec_hash != a.spec_hash


BAD_STEPS = [
    # (steps, key that must be reported, fragment of its message)
    ([{"type": "select", "columns": ["name"]}, {"type": "explode"}], "steps.1.type",
     "Unknown step type 'explode'"),
    ([{"type": "select", "columns": ["name", "agee"]}], "steps.0.columns.1",
     "Unknown column 'agee' (did you mean 'age'?); known: name, age"),
    ([{"type": "mask", "columns": ["name"]}, {"type": "filter", "where": {
        "col": "agee", "op": ">", "value": 3}}], "steps.1.where.col", "Unknown column 'agee'"),
    ([{"type": "aggregate", "aggregations": [{"fn": "sum", "column": "name", "as": "s"}]}],
     "steps.0.aggregations.0.fn", "needs a numeric column"),
    ([{"type": "generalise", "column": "born", "method": "age_band", "width": 10}],
     "steps.0.method", "'age_band' does not apply to DATE"),
    ([{"type": "filter", "where": {"col": "age", "op": ">=", "value": "five"}}],
     "steps.0.where.value", "Must be a number"),
    ([{"type": "filter", "where": {"col": "born", "op": "<", "value": "2024-13-01"}}],
     "steps.0.where.value", "ISO 8601"),
    ([{"type": "filter", "where": {"col": "age", "op": "starts_with", "value": "1"}}],
     "steps.0.where.op", "needs a VARCHAR column"),
    ([{"type": "redact_pii", "columns": ["age"]}], "steps.0.columns.0", "does not apply"),
    ([{"type": "normalise_text", "columns": ["born"], "ops": ["trim"]}], "steps.0.columns.0",
     "needs VARCHAR"),
    ([{"type": "fill_nulls", "values": {"age": 2**40}}, {"type": "fill_nulls",
                                                          "values": {"age": 1.5}}],
     "steps.1.values.age", "Must be an integer"),
    ([{"type": "join", "input": "x", "on": {"city": "city"}}], "steps.0.input",
     "Unknown input 'x'"),
    ([{"type": "join", "input": "t", "on": {"city": "city"}}], "steps.0.input", "main input"),
    ([{"type": "rename", "columns": {"name": "AGE"}}], "steps.0.columns", "Duplicate output"),
    ([{"type": "aggregate", "group_by": ["city"], "aggregations": [
        {"fn": "count", "as": "n"}, {"fn": "max", "column": "age", "as": "N"}]}],
     "steps.0.aggregations", "Duplicate output"),
    ([{"type": "generalise", "column": "born", "method": "date_to_month", "as": "name"}],
     "steps.0.as", "Duplicate output"),
    ([{"type": "suppress", "columns": ["name", "age", "city", "born", "income", "score",
                                       "note"], "mode": "drop"}], "steps.0.columns",
     "leaves no columns"),
    ([{"type": "mask", "columns": ["name"], "keep_first": True}], "steps.0.keep_first",
     "integer"),
    ([{"type": "mask", "columns": ["name"], "keep": 1}], "steps.0.keep", "Unknown field"),
    ([{"type": "sample", "seed": 1, "n": 5, "fraction": 0.5}], "steps.0", "exactly one"),
    ([{"type": "cast", "columns": {"age": "TEXT; DROP"}}], "steps.0.columns.age", "Must be one of"),
    ([{"type": "keyed_hash", "columns": ["name"]}, "select"], "steps.1", "Must be an object"),
]


@pytest.mark.parametrize(("steps", "key", "fragment"), BAD_STEPS)
def test_bad_steps_are_reported_at_their_index(steps: list[Any], key: str, fragment: str
                                               ) -> None:
    errors = errors_of(doc(*steps, inputs=TWO if '"join"' in json.dumps(steps) else ONE))
    assert key in errors, errors
    assert any(fragment in message for message in errors[key]), errors


def test_join_with_the_second_input_is_valid_and_an_unused_input_is_not() -> None:
    ok = doc({"type": "join", "input": "d", "on": {"city": "city"}}, inputs=TWO)
    assert load_spec(ok, KNOWN).schema.names[-2:] == ("region", "population")
    errors = errors_of(doc({"type": "select", "columns": ["name"]}, inputs=TWO))
    assert "never joined" in errors["inputs.1.alias"][0]


def test_parse_errors_of_several_steps_are_all_reported() -> None:
    errors = errors_of(doc({"type": "nope"}, {"type": "select", "columns": []},
                           {"type": "select", "columns": ["age"]}))
    assert set(errors) == {"steps.0.type", "steps.1.columns"}


def test_too_many_steps_and_too_large_documents() -> None:
    steps = [{"type": "select", "columns": ["name"]}] * (MAX_STEPS + 1)
    assert "steps" in errors_of(doc(*steps))
    assert load_spec(doc(*steps[:MAX_STEPS]), KNOWN).schema.names == ("name",)
    names = [c["name"] for c in KNOWN[MAIN]]  # type: ignore[index]
    big = doc(element={"title": "x", "description": "说" * 10_000,
                       "column_descriptions": dict.fromkeys(names, "明" * 2000)})
    assert len(json.dumps(big, ensure_ascii=False).encode()) > MAX_SPEC_BYTES
    assert "bytes; at most" in errors_of(big)["spec"][0]


def test_expression_trees_are_bounded() -> None:
    leaf: dict[str, Any] = {"col": "age", "op": ">", "value": 1}
    deep = leaf
    for _ in range(20):
        deep = {"not": deep}
    errors = errors_of(doc({"type": "filter", "where": deep}))
    [(key, messages)] = errors.items()
    assert key.startswith("steps.0.where.not.not") and "deeper than 16" in messages[0]
    wide = {"or": [{"and": [leaf] * 60}] * 5}
    assert "more than 256 nodes" in next(iter(errors_of(doc({"type": "filter",
                                                              "where": wide})).values()))[0]


@pytest.mark.parametrize(("raw", "key"), [
    ('{"format": "elx-pipeline/v1", "format": "x"}', "spec"),  # duplicate key
    ('{"format": NaN}', "spec"),
    ("[1, 2", "spec"),
    (json.dumps(doc() | {"format": "elx-pipeline/v2"}), "format"),
    (json.dumps(doc() | {"extra": 1}), "extra"),
    (json.dumps(doc(inputs=[{"alias": "t", "version_id": MAIN}, {"alias": "t",
                                                                "version_id": DIM}])),
     "inputs.1.alias"),
    (json.dumps(doc(inputs=[{"alias": "T!", "version_id": MAIN}])), "inputs.0.alias"),
    (json.dumps(doc(inputs=[{"alias": "t", "version_id": "ver_cccccccccccccccc"}])),
     "inputs.0.version_id"),
    (json.dumps(doc(element={"title": "x", "k": 5})), "element.k"),
    (json.dumps(doc(element={"title": "x", "column_descriptions": {"nme": "?"}})),
     "element.column_descriptions.nme"),
    (json.dumps(doc(element={"title": "x", "licensed_personal_data": [
        {"column": "name", "legal_basis": "because"}]})),
     "element.licensed_personal_data.0.legal_basis"),
])
def test_document_level_errors(raw: str, key: str) -> None:
    assert key in errors_of(raw)


def test_a_mapping_with_values_that_are_not_json_is_rejected() -> None:
    assert "spec" in errors_of(doc(element={"title": {"x"}}))  # a set
    assert "spec" in errors_of(doc(element={"title": "x", "k": float("nan")}))


QI = {"title": "x", "quasi_identifiers": ["age", "city"], "k": 5}
KANON = {"type": "k_anonymity", "ladders": {"age": [{"method": "age_band", "width": 5},
                                                    {"method": "age_band", "width": 10},
                                                    {"method": "suppress"}]}}


def test_k_anonymity_makes_the_qis_text_and_later_steps_may_not_undo_it() -> None:
    vp = load_spec(doc(KANON, {"type": "mask", "columns": ["name"]}, element=QI), KNOWN)
    assert vp.schema.columns[1] == Column("age", "VARCHAR")
    for later, key in [({"type": "filter", "where": {"col": "note", "op": "is_null"}},
                        "steps.1.type"),
                       ({"type": "mask", "columns": ["city"]}, "steps.1"),
                       ({"type": "rename", "columns": {"note": "age"}}, "steps.1"),
                       ({"type": "select", "columns": ["name", "age"]}, "steps.1"),
                       (KANON, "steps.1.type")]:
        assert key in errors_of(doc(KANON, later, element=QI)), later


@pytest.mark.parametrize(("ladders", "key", "fragment"), [
    ({"born": [{"method": "suppress"}]}, "steps.0.ladders.born", "not one of the declared"),
    ({"age": [{"method": "age_band", "width": 10}, {"method": "age_band", "width": 15}]},
     "steps.0.ladders.age.1", "larger multiple"),
    ({"age": [{"method": "suppress"}, {"method": "age_band", "width": 10}]},
     "steps.0.ladders.age.1", "Nothing can follow"),
    ({"age": [{"method": "age_band", "width": 10}, {"method": "number_bucket", "width": 100}]},
     "steps.0.ladders.age.1", "cannot follow"),
    ({"city": [{"method": "date_to_year"}]}, "steps.0.ladders.city.0.method", "does not apply"),
])
def test_ladders_must_coarsen(ladders: dict[str, Any], key: str, fragment: str) -> None:
    errors = errors_of(doc({"type": "k_anonymity", "ladders": ladders}, element=QI))
    assert any(fragment in m for m in errors[key]), errors


def test_qis_and_the_k_anonymity_step_go_together() -> None:
    assert "element.quasi_identifiers" in errors_of(doc(element=QI))
    assert "steps.0" in errors_of(doc({"type": "k_anonymity"}))


def test_every_registered_step_type_has_a_valid_example() -> None:
    examples = {
        "select": {"columns": ["age"]}, "rename": {"columns": {"age": "years"}},
        "cast": {"columns": {"age": "DOUBLE"}, "on_error": "null"},
        "filter": {"where": {"col": "city", "op": "in", "value": ["德阳"]}},
        "dedupe": {"columns": ["city"]}, "normalise_text": {"columns": ["note"],
                                                             "ops": ["trim", "iso_date"]},
        "fill_nulls": {"values": {"note": "-"}}, "drop_nulls": {},
        "join": {"input": "d", "on": {"city": "city"}, "columns": {"region": "r"}},
        "aggregate": {"aggregations": [{"fn": "count_distinct", "column": "city", "as": "n"}]},
        "sample": {"seed": 3, "fraction": 0.25}, "mask": {"columns": ["name"], "keep_last": 1},
        "keyed_hash": {"columns": ["name"]}, "tokenise": {"columns": ["name", "age"]},
        "generalise": {"column": "income", "method": "number_bucket", "width": 0.5},
        "suppress": {"columns": ["note"]}, "redact_pii": {"columns": ["note"], "kinds": ["email"]},
        "k_anonymity": {"max_suppression": 0.1},
    }
    assert set(examples) == set(REGISTRY)
    for name, body in examples.items():
        element = QI if name == "k_anonymity" else None
        inputs = TWO if name == "join" else ONE
        vp = load_spec(doc({"type": name, **body}, inputs=inputs, element=element), KNOWN)
        assert len(vp.schemas) == 1, name


JSON = st.recursive(st.none() | st.booleans() | st.integers(-10, 10) | st.floats(-2, 2)
                    | st.sampled_from(["age", "name", "born", "x", "", "*", "d", "t"]),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.sampled_from(["col", "op", "value", "and", "not",
                                                       "columns", "method", "width", "as"]),
                                      inner, max_size=3), max_leaves=12)
STEP = st.fixed_dictionaries({"type": st.sampled_from(sorted(REGISTRY))},
                             optional={k: JSON for k in ("columns", "where", "values", "on",
                                                         "input", "column", "method", "width",
                                                         "seed", "n", "ladders", "ops")})


@settings(max_examples=50, deadline=None)
@given(st.lists(STEP, max_size=4))
def test_any_json_is_accepted_or_rejected_with_validation_failed(steps: list[Any]) -> None:
    try:
        vp = load_spec(doc(*steps), KNOWN)
    except ValidationFailed as err:
        assert err.errors and all(isinstance(v, list) and v for v in err.errors.values())
    else:
        assert len(vp.schemas) == len(steps)
