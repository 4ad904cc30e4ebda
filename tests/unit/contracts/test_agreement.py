"""contracts.agreement: the one transition table; every other (state, event) pair raises."""

from __future__ import annotations

import itertools

import pytest

from contracts import (
    TERMINAL_STATES,
    TRANSITIONS,
    AgreementEvent,
    AgreementState,
    IllegalTransition,
    PolicyError,
    allowed_events,
    next_state,
)

S, E = AgreementState, AgreementEvent

# Written out independently of the implementation: a change to the table must change this too.
EXPECTED = {
    (S.PENDING_PAYMENT, E.PAYMENT_SUCCEEDED): S.ACTIVE,
    (S.PENDING_PAYMENT, E.PAYMENT_FAILED): S.PENDING_PAYMENT,  # issue 6 §5: may pay again
    (S.PENDING_PAYMENT, E.PAYMENT_TIMEOUT): S.EXPIRED,
    (S.PENDING_PAYMENT, E.TERMINATE): S.TERMINATED,
    (S.PENDING_PAYMENT, E.REVOKE): S.REVOKED,
    (S.ACTIVE, E.SUSPEND): S.SUSPENDED,
    (S.ACTIVE, E.EXPIRE): S.EXPIRED,
    (S.ACTIVE, E.TERMINATE): S.TERMINATED,
    (S.ACTIVE, E.REFUND): S.TERMINATED,
    (S.ACTIVE, E.REVOKE): S.REVOKED,
    (S.SUSPENDED, E.RESUME): S.ACTIVE,
    (S.SUSPENDED, E.EXPIRE): S.EXPIRED,
    (S.SUSPENDED, E.TERMINATE): S.TERMINATED,
    (S.SUSPENDED, E.REFUND): S.TERMINATED,
    (S.SUSPENDED, E.REVOKE): S.REVOKED,
}
ALL_PAIRS = list(itertools.product(AgreementState, AgreementEvent))
ILLEGAL = [pair for pair in ALL_PAIRS if pair not in EXPECTED]


def test_table_is_exactly_the_expected_one():
    assert dict(TRANSITIONS) == EXPECTED
    assert len(ALL_PAIRS) == len(EXPECTED) + len(ILLEGAL) == 6 * 9


@pytest.mark.parametrize(("state", "event"), list(EXPECTED), ids=lambda x: x.value)
def test_every_legal_transition(state, event):
    assert next_state(state, event) is EXPECTED[state, event]
    assert next_state(state.value, event.value) is EXPECTED[state, event]


@pytest.mark.parametrize(("state", "event"), ILLEGAL, ids=lambda x: x.value)
def test_every_other_pair_raises(state, event):
    with pytest.raises(IllegalTransition) as info:
        next_state(state, event)
    assert (info.value.state, info.value.event) == (state, event)
    assert isinstance(info.value, PolicyError)
    assert f"from {state.value} on {event.value}" in str(info.value)


def test_table_is_read_only():
    with pytest.raises(TypeError):
        TRANSITIONS[S.EXPIRED, E.RESUME] = S.ACTIVE  # type: ignore[index]


def test_terminal_states_have_no_way_out():
    assert {S.EXPIRED, S.TERMINATED, S.REVOKED} == TERMINAL_STATES
    for state in TERMINAL_STATES:
        assert allowed_events(state) == frozenset()


def test_allowed_events_match_the_table():
    for state in AgreementState:
        assert allowed_events(state) == {e for (s, e) in EXPECTED if s is state}


def test_active_is_entered_only_by_payment_or_resumption():
    assert {k for k, v in TRANSITIONS.items() if v is S.ACTIVE} == {
        (S.PENDING_PAYMENT, E.PAYMENT_SUCCEEDED), (S.SUSPENDED, E.RESUME)}


def test_every_state_is_reachable_from_pending_payment():
    seen, todo = {S.PENDING_PAYMENT}, [S.PENDING_PAYMENT]
    while todo:
        state = todo.pop()
        for event in allowed_events(state):
            if (target := next_state(state, event)) not in seen:
                seen.add(target)
                todo.append(target)
    assert seen == set(AgreementState)


@pytest.mark.parametrize(("state", "event"), [
    ("paid", "resume"), ("active", "pay"), (None, "expire"), ("active", ["expire"]), (1, 2),
])
def test_unknown_names_raise_illegal_transition(state, event):
    with pytest.raises(IllegalTransition):
        next_state(state, event)
