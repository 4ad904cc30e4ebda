"""License contracts: an ODRL 2.2-inspired policy model and its evaluator (issue 5 §4).

Pure library: no Flask, no database, never imports ``marketplace`` or ``ledger``.

    from contracts import template, policy_from_dict, policy_to_dict, policy_digest
    from contracts import evaluate, RequestContext, Decision
    from contracts import AgreementState, AgreementEvent, next_state, render
"""

from __future__ import annotations

from contracts.agreement import (
    TERMINAL_STATES,
    TRANSITIONS,
    AgreementEvent,
    AgreementState,
    allowed_events,
    next_state,
)
from contracts.errors import IllegalTransition, PolicyError, UnknownTemplate
from contracts.evaluate import Decision, RequestContext, evaluate
from contracts.policy import (
    PROFILE,
    Constraint,
    Duty,
    LogicalConstraint,
    Permission,
    Policy,
    Prohibition,
    policy_digest,
    policy_from_dict,
    policy_to_dict,
)
from contracts.templates import TEMPLATE_IDS, TEMPLATE_TITLES, template
from contracts.text import LANGUAGES, render
from contracts.vocab import Action, DutyAction, LeftOperand, LogicalOp, Operator

__all__ = [
    "LANGUAGES",
    "PROFILE",
    "TEMPLATE_IDS",
    "TEMPLATE_TITLES",
    "TERMINAL_STATES",
    "TRANSITIONS",
    "Action",
    "AgreementEvent",
    "AgreementState",
    "Constraint",
    "Decision",
    "Duty",
    "DutyAction",
    "IllegalTransition",
    "LeftOperand",
    "LogicalConstraint",
    "LogicalOp",
    "Operator",
    "Permission",
    "Policy",
    "PolicyError",
    "Prohibition",
    "RequestContext",
    "UnknownTemplate",
    "allowed_events",
    "evaluate",
    "next_state",
    "policy_digest",
    "policy_from_dict",
    "policy_to_dict",
    "render",
    "template",
]
