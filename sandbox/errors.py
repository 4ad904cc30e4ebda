"""The sandbox's exceptions (issue 7 §3–5).

    SandboxError
    ├── Rejected          the query breaks a rule; ``rule`` is a stable id, ``message`` never
    │   │                 echoes a literal or a value from the query or the data
    │   └── BudgetExhausted   the license's privacy budget cannot pay for the query
    ├── PolicyError       a query policy document is malformed (``errors``: JSON pointer → text)
    └── QueryFailed       the engine could not run the query: always the one generic message
        └── QueryTimeout  the wall-clock limit interrupted it
"""

from __future__ import annotations

__all__ = [
    "GENERIC_FAILURE",
    "BudgetExhausted",
    "PolicyError",
    "QueryFailed",
    "QueryTimeout",
    "Rejected",
    "SandboxError",
]

GENERIC_FAILURE = "The query could not be executed."


class SandboxError(Exception):
    """Base of every error the sandbox raises on purpose."""


class Rejected(SandboxError):
    """A vetting (or budget) rule refused the query before anything ran."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(f"{rule}: {message}")
        self.rule = rule
        self.message = message


class BudgetExhausted(Rejected):
    """The license's remaining ε is smaller than what the query would spend."""

    def __init__(self) -> None:
        super().__init__("sandbox.budget.exhausted",
                         "The license's privacy budget cannot pay for this query.")


class PolicyError(SandboxError):
    """A policy document is invalid; ``errors`` maps JSON pointers to messages."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k or '/'}: {v}" for k, v in sorted(errors.items())))
        self.errors = dict(errors)


class QueryFailed(SandboxError):
    """The engine failed; the engine's own text (which may quote data) is never kept."""

    def __init__(self, message: str = GENERIC_FAILURE) -> None:
        super().__init__(message)
        self.message = message


class QueryTimeout(QueryFailed):
    """The query ran past the runner's wall-clock limit and was stopped."""

    def __init__(self) -> None:
        super().__init__("The query ran past the time limit and was stopped.")
