"""The data sandbox (issue 7 §2–5): buyers' SQL runs inside the platform and only safe,
noisy aggregates come back. Pure library: no Flask, never imports ``marketplace``,
``ledger`` or ``contracts``.

Flow for one request (the caller owns the budget ledger and the answer cache)::

    vetted = vet(sql, policy, columns)                 # Rejected(rule, message) on refusal
    cached = cache.get((license_id, vetted.fingerprint))
    if cached is None:
        new_total = charge(spent, policy.epsilon_per_query, policy.epsilon_per_license)
        execution = plan(vetted, policy, columns)
        result = runner.execute(parquet_path, execution)   # QueryTimeout / QueryFailed
        release = apply_privacy(result.rows, execution,
                                max_rows_per_identity=result.max_rows_per_identity)
        cache[(license_id, vetted.fingerprint)] = release_to_dict(release)  # + new_total
    answer = present(release, vetted)                  # free post-processing
"""

from __future__ import annotations

from sandbox.defaults import default_policy
from sandbox.errors import (
    GENERIC_FAILURE,
    BudgetExhausted,
    PolicyError,
    QueryFailed,
    QueryTimeout,
    Rejected,
    SandboxError,
)
from sandbox.noise import Noise, OpenDPLaplace
from sandbox.policy import AGGREGATE_FUNCTIONS, AggregateRule, QueryPolicy
from sandbox.present import PrivateResult, present, release_from_dict, release_to_dict
from sandbox.privacy import Release, apply_privacy, charge
from sandbox.rewrite import ExecutionPlan, Mechanism, plan
from sandbox.rules import RULES
from sandbox.runner import ExecutionResult, SandboxRunner
from sandbox.vet import vet
from sandbox.vetted import VettedQuery

__all__ = [
    "AGGREGATE_FUNCTIONS",
    "GENERIC_FAILURE",
    "RULES",
    "AggregateRule",
    "BudgetExhausted",
    "ExecutionPlan",
    "ExecutionResult",
    "Mechanism",
    "Noise",
    "OpenDPLaplace",
    "PolicyError",
    "PrivateResult",
    "QueryFailed",
    "QueryPolicy",
    "QueryTimeout",
    "Rejected",
    "Release",
    "SandboxError",
    "SandboxRunner",
    "VettedQuery",
    "apply_privacy",
    "charge",
    "default_policy",
    "plan",
    "present",
    "release_from_dict",
    "release_to_dict",
    "vet",
]
