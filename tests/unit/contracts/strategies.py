"""Hypothesis strategies for policies and request contexts over a small, colliding domain.

Values are drawn from short lists so that random constraints and random requests often match:
a property that only ever saw denials would prove little.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import strategies as st

from contracts import (
    Action,
    AgreementState,
    Constraint,
    Duty,
    DutyAction,
    LeftOperand,
    LogicalConstraint,
    LogicalOp,
    Permission,
    Policy,
    Prohibition,
    RequestContext,
)
from contracts.vocab import MULTI_VALUED, OPERATORS_FOR

PURPOSES = ("research", "internal_analytics", "marketing", "public_service")
REGIONS = ("CN", "CN-51", "CN-11", "US", "HK")
RECIPIENTS = ("org_a", "org_b", "org_c")
T0 = datetime(2026, 3, 1, tzinfo=UTC)
ZONES = (UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5)))

instants = st.builds(
    lambda days, secs, tz: (T0 + timedelta(days=days, seconds=secs)).astimezone(tz),
    st.integers(-400, 400), st.integers(0, 86399), st.sampled_from(ZONES),
)
durations = st.integers(0, 400).map(lambda d: timedelta(days=d))

_SCALARS = {
    LeftOperand.PURPOSE: st.sampled_from(PURPOSES),
    LeftOperand.SPATIAL: st.sampled_from(REGIONS),
    LeftOperand.RECIPIENT: st.sampled_from(RECIPIENTS),
    LeftOperand.DATE_TIME: instants,
    LeftOperand.ELAPSED_TIME: durations,
    LeftOperand.COUNT: st.integers(0, 20),
}


@st.composite
def leaf_constraints(draw: st.DrawFn) -> Constraint:
    left = draw(st.sampled_from(list(LeftOperand)))
    op = draw(st.sampled_from(sorted(OPERATORS_FOR[left])))
    if op in MULTI_VALUED:
        right = draw(st.frozensets(_SCALARS[left], min_size=1, max_size=3))
    else:
        right = draw(_SCALARS[left])
    return Constraint(left, op, right)


constraints = st.recursive(
    leaf_constraints(),
    lambda inner: st.builds(
        LogicalConstraint, st.sampled_from(list(LogicalOp)),
        st.lists(inner, min_size=1, max_size=3).map(tuple),
    ),
    max_leaves=6,
).filter(lambda c: not isinstance(c, LogicalConstraint) or c.depth <= 4)

duties = st.one_of(
    st.builds(Duty, st.just(DutyAction.ATTRIBUTE),
              attribution=st.sampled_from(["来源：某市", "x"])),
    st.builds(Duty, st.just(DutyAction.COMPENSATE), amount_fen=st.integers(0, 10**9),
              currency=st.sampled_from(["CNY", "USD"])),
    st.builds(Duty, st.just(DutyAction.DELETE), within_days=st.integers(0, 3650)),
)
actions = st.sampled_from(list(Action))
constraint_lists = st.lists(constraints, max_size=3).map(tuple)
duty_lists = st.lists(duties, max_size=2).map(tuple)
permissions = st.builds(Permission, actions, constraint_lists, duty_lists)
prohibitions = st.builds(Prohibition, actions, constraint_lists)
policies = st.builds(
    Policy,
    uid=st.sampled_from(["p1", "urn:elx:license:lic_abc", "许可-1"]),
    permissions=st.lists(permissions, max_size=4).map(tuple),
    prohibitions=st.lists(prohibitions, max_size=3).map(tuple),
    obligations=st.lists(duties, max_size=2).map(tuple),
)

contexts = st.builds(
    RequestContext,
    action=actions,
    at=instants,
    purpose=st.one_of(st.none(), st.sampled_from(PURPOSES),
                      st.frozensets(st.sampled_from(PURPOSES), min_size=1, max_size=3)),
    region=st.one_of(st.none(), st.sampled_from(REGIONS)),
    recipient=st.one_of(st.none(), st.sampled_from(RECIPIENTS)),
    count_used=st.one_of(st.none(), st.integers(0, 25)),
    agreement_state=st.one_of(st.none(), st.sampled_from(list(AgreementState))),
    valid_from=st.one_of(st.none(), instants),
    valid_until=st.one_of(st.none(), instants),
)

_junk = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8),
    st.datetimes(), st.lists(st.integers(), max_size=2), st.sets(st.text(max_size=2), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
garbage_contexts = st.builds(
    RequestContext,
    action=st.one_of(actions, _junk), at=st.one_of(instants, _junk),
    purpose=_junk, region=_junk, recipient=_junk, count_used=_junk,
    agreement_state=st.one_of(st.sampled_from(list(AgreementState)), _junk),
    valid_from=st.one_of(instants, _junk), valid_until=st.one_of(instants, _junk),
)

__all__ = [
    "PURPOSES", "RECIPIENTS", "REGIONS", "T0", "constraints", "contexts", "garbage_contexts",
    "instants", "permissions", "policies", "prohibitions",
]
