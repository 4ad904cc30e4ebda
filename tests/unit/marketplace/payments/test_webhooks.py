"""Stripe-Signature verification (issue 6 §2; https://docs.stripe.com/webhooks#verify-manually).

The known-answer vector was computed independently with OpenSSL::

    printf '1700000000.{"id":"evt_1","object":"event"}' |
        openssl dgst -sha256 -hmac whsec_test_secret
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.errors import BadRequest
from marketplace.payments.webhooks import (
    MalformedSignature,
    MissingSignature,
    NoValidSignature,
    StaleSignature,
    configured_secrets,
    parse_header,
    sign,
    verify_signature,
)

PAYLOAD = b'{"id":"evt_1","object":"event"}'
SECRET = "whsec_test_secret"
T = 1_700_000_000
VECTOR = "0c8670ed117751cc551a20e35839447075c42800ea3cf3e8a2fbda99cd1e6edd"
GOOD = f"t={T},v1={VECTOR}"


def test_known_answer() -> None:
    assert sign(PAYLOAD, SECRET, T) == VECTOR
    assert verify_signature(PAYLOAD, GOOD, [SECRET], now=T) is None


def test_accepts_datetime_now_and_the_tolerance_boundary_both_ways() -> None:
    verify_signature(PAYLOAD, GOOD, [SECRET], now=datetime.fromtimestamp(T + 300, UTC))
    verify_signature(PAYLOAD, GOOD, [SECRET], now=T - 300)


@pytest.mark.parametrize("now", [T + 301, T - 301, T + 86_400])
def test_stale_or_future_timestamps_are_refused(now: int) -> None:
    with pytest.raises(StaleSignature):
        verify_signature(PAYLOAD, GOOD, [SECRET], now=now)


def test_stale_is_only_reported_for_an_authentic_signature() -> None:
    with pytest.raises(NoValidSignature):
        verify_signature(PAYLOAD, f"t={T},v1={'0' * 64}", [SECRET], now=T + 10_000)


def test_several_v1_unknown_schemes_and_rotated_secrets() -> None:
    header = f"t={T},v0=abc,v1={'f' * 64},scheme=x,v1={VECTOR}"
    verify_signature(PAYLOAD, header, ["whsec_new", SECRET], now=T)
    verify_signature(PAYLOAD, GOOD, configured_secrets(f" whsec_new , {SECRET},"), now=T)
    verify_signature(PAYLOAD, GOOD, SECRET, now=T)  # one secret as a plain string


@pytest.mark.parametrize("header", ["", "   "])
def test_missing_header(header: str) -> None:
    with pytest.raises(MissingSignature):
        verify_signature(PAYLOAD, header, [SECRET], now=T)


@pytest.mark.parametrize("header", [
    f"v1={VECTOR}",                      # no timestamp
    f"t=soon,v1={VECTOR}",               # not an integer
    f"t=-5,v1={VECTOR}",                 # not digits
    f"t={T},t={T},v1={VECTOR}",          # twice
    f"t={T}",                            # no v1
    f"t={T},v0={VECTOR}",                # only other schemes
    f"t={T};v1={VECTOR}",                # wrong separator
    f"t={T},{VECTOR}",                   # element without '='
    f"t=１２３,v1={VECTOR}",              # non-ASCII digits
])
def test_malformed_headers(header: str) -> None:
    with pytest.raises(MalformedSignature):
        verify_signature(PAYLOAD, header, [SECRET], now=T)


def test_forged_signature_wrong_secret_or_tampered_payload() -> None:
    forged = f"t={T},v1={sign(PAYLOAD, 'whsec_attacker', T)}"
    for payload, header in ((PAYLOAD, forged), (PAYLOAD + b" ", GOOD)):
        with pytest.raises(NoValidSignature):
            verify_signature(payload, header, [SECRET], now=T)


def test_errors_are_400_problems_and_a_missing_secret_is_a_setup_error() -> None:
    for cls in (MissingSignature, MalformedSignature, NoValidSignature, StaleSignature):
        problem = cls().to_problem()
        assert issubclass(cls, BadRequest) and problem["status"] == 400
    with pytest.raises(ValueError):
        verify_signature(PAYLOAD, GOOD, [], now=T)
    with pytest.raises(ValueError):
        verify_signature(PAYLOAD, GOOD, "", now=T)


def test_parse_header_returns_timestamp_and_every_v1() -> None:
    assert parse_header(f"t={T}, v1=aa ,v1=bb") == (T, ["aa", "bb"])


# -- properties ------------------------------------------------------------------------
payloads = st.binary(min_size=1, max_size=512)
secrets = st.text(st.characters(codec="ascii", exclude_characters=","), min_size=1,
                  max_size=40)
stamps = st.integers(min_value=301, max_value=4_000_000_000)


def _flip(data: bytes, bit: int) -> bytes:
    index = bit % (len(data) * 8)
    out = bytearray(data)
    out[index // 8] ^= 1 << (index % 8)
    return bytes(out)


@given(payloads, secrets, stamps, st.integers(min_value=0))
def test_any_single_bit_change_of_the_payload_is_rejected(
        payload: bytes, secret: str, t: int, bit: int) -> None:
    header = f"t={t},v1={sign(payload, secret, t)}"
    verify_signature(payload, header, [secret], now=t)
    with pytest.raises(NoValidSignature):
        verify_signature(_flip(payload, bit), header, [secret], now=t)


@given(payloads, secrets, stamps, st.integers(min_value=0))
def test_any_single_bit_change_of_the_secret_is_rejected(
        payload: bytes, secret: str, t: int, bit: int) -> None:
    header = f"t={t},v1={sign(payload, secret, t)}"
    other = _flip(secret.encode(), bit).decode("latin-1")
    with pytest.raises(NoValidSignature):
        verify_signature(payload, header, [other], now=t)


@given(payloads, secrets, stamps, st.integers(min_value=-300, max_value=300).filter(bool))
def test_a_changed_timestamp_is_rejected_even_within_the_tolerance(
        payload: bytes, secret: str, t: int, delta: int) -> None:
    header = f"t={t + delta},v1={sign(payload, secret, t)}"
    with pytest.raises(NoValidSignature):
        verify_signature(payload, header, [secret], now=t)


garbage = st.text(st.characters(exclude_characters=","), max_size=80)


@given(payloads, secrets, stamps, st.lists(garbage, max_size=6), st.data())
def test_a_valid_signature_among_garbage_v1s_is_accepted(
        payload: bytes, secret: str, t: int, junk: list[str], data: st.DataObject) -> None:
    values = [*junk]
    values.insert(data.draw(st.integers(0, len(values))), sign(payload, secret, t))
    header = ",".join([f"t={t}", *(f"v1={v}" for v in values)])
    verify_signature(payload, header, [secret], now=t)
