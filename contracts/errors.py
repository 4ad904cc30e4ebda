"""The contracts error tree: every failure of this library is a :class:`PolicyError`.

::

    ValueError
     └── PolicyError            bad policy document (``path`` is a JSON-pointer-ish location)
          ├── UnknownTemplate   no such license template id
          └── IllegalTransition (state, event) is not in the agreement transition table
"""

from __future__ import annotations

__all__ = ["IllegalTransition", "PolicyError", "UnknownTemplate"]


class PolicyError(ValueError):
    """A policy (or template, or transition) request is invalid; ``path`` says where."""

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(f"{path or '/'}: {message}")
        self.path = path
        self.message = message


class UnknownTemplate(PolicyError):
    """``template(template_id)`` was asked for an id not in ``TEMPLATE_IDS``."""


class IllegalTransition(PolicyError):
    """The agreement state machine has no transition for this (state, event) pair."""

    def __init__(self, state: object, event: object) -> None:
        state_name = getattr(state, "value", state)
        event_name = getattr(event, "value", event)
        super().__init__(f"no transition from {state_name!s:.40} on {event_name!s:.40}")
        self.state = state
        self.event = event
