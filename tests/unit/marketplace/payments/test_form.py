"""Stripe form encoding and Idempotency-Key derivation (issue 6 §1;
https://docs.stripe.com/api/request-formats). The round trip goes through localstripe's own
parser of Stripe requests, i.e. what a Stripe-compatible server reads back."""

from __future__ import annotations

import warnings
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.payments.form import encode, idempotency_key

try:  # imported up front: the first import is slow enough to trip hypothesis' deadline
    with warnings.catch_warnings():  # localstripe registers sync handlers (deprecated)
        warnings.simplefilter("ignore", DeprecationWarning)
        from localstripe import server
    from multidict import MultiDict
except ImportError:  # pragma: no cover - the test extra installs it
    server = None


def test_nested_params_are_encoded_as_stripe_expects() -> None:
    params = {"amount": 1999, "currency": "cny", "confirm": True, "capture": False,
              "metadata": {"order_id": "ord_1", "note": "a b&c"}, "description": None,
              "payment_method_types": ["card"], "items": [{"price": "p_1", "quantity": 2}]}
    assert encode(params) == [
        ("amount", "1999"), ("currency", "cny"), ("confirm", "true"), ("capture", "false"),
        ("metadata[order_id]", "ord_1"), ("metadata[note]", "a b&c"),
        ("payment_method_types[0]", "card"),
        ("items[0][price]", "p_1"), ("items[0][quantity]", "2")]


@pytest.mark.parametrize("bad", [19.99, Decimal("19.99"), object()])
def test_floats_and_decimals_are_refused(bad: Any) -> None:
    with pytest.raises(TypeError, match="amount"):
        encode({"amount": bad})


def test_idempotency_keys_are_derived_from_our_transaction() -> None:
    assert idempotency_key("pay_abc", "intent.create") == "elx-intent.create-pay_abc"
    assert idempotency_key("pay_abc", "intent.create") != idempotency_key(
        "pay_abc", "intent.confirm")
    for txn, op in (("", "x"), ("a b", "x"), ("a" * 201, "x"), ("ok", "Bad-Op")):
        with pytest.raises(ValueError):
            idempotency_key(txn, op)


names = st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8)
scalars = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)
trees = st.recursive(scalars, lambda inner: st.dictionaries(names, inner, min_size=1,
                                                            max_size=4), max_leaves=12)


@given(st.dictionaries(names, trees, min_size=1, max_size=5))
def test_round_trip_through_a_stripe_compatible_parser(params: dict[str, Any]) -> None:
    if server is None:
        pytest.skip("localstripe is not installed")
    assert server.unflatten_data(MultiDict(encode(params))) == params
