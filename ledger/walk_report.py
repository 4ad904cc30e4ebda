"""What a log walk (:mod:`ledger.walker`) reports: the first inconsistency, or what it covered."""

from __future__ import annotations

from dataclasses import dataclass

from ledger import VerificationError

__all__ = ["LogError", "VerifyReport"]


class LogError(VerificationError):
    """The first inconsistency found; ``index`` is the entry it concerns (None: the log as a
    whole, e.g. its key table)."""

    def __init__(self, index: int | None, problem: str) -> None:
        self.index, self.problem = index, problem
        super().__init__(problem if index is None else f"entry {index}: {problem}")

    def __reduce__(self) -> tuple[type[LogError], tuple[int | None, str]]:
        return LogError, (self.index, self.problem)  # picklable across verify processes


@dataclass(frozen=True)
class VerifyReport:
    """What a successful verification covered."""

    origin: str | None
    size: int
    root_hash: bytes
    checkpoints: int
    stored_nodes: int
    keys: int
    keys_from_log: bool  # True: no --key given, the log's own published keys were trusted
