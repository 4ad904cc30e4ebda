"""Standard license templates for a city data exchange (issue 5 §4).

* ``internal-analytics`` — use (sandbox queries and API access) and derive internal reports for
  the licensee's own analytics; no onward transfer; delete copies after the agreement ends.
* ``api-integration`` — API access to integrate records into the licensee's services, with an
  optional call quota; no resale or cross-border transfer.
* ``research-only`` — sandbox queries and derived results for research purposes only; no
  resale or onward transfer; attribution; deletion after the agreement ends.
* ``cc-by-4.0`` — open data: use, derive and transfer, each with an attribution duty
  (Creative Commons Attribution 4.0 International).

Every template forbids re-identification. Optional parameters narrow the permissions: purposes,
regions (ISO 3166), recipients (organisation ids), a validity period (``valid_days`` from the
agreement's start, or an absolute interval when ``starts_at`` is given) and ``max_calls``. A price
becomes a payment obligation of the whole policy: nothing is allowed until the agreement is paid.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from contracts.errors import PolicyError, UnknownTemplate
from contracts.model import Constraint, ConstraintLike, Duty, LogicalConstraint, Permission, Policy
from contracts.model import Prohibition as No
from contracts.operands import MAX_DAYS
from contracts.vocab import Action, DutyAction, LeftOperand, LogicalOp, Operator

__all__ = ["DEFAULT_ATTRIBUTION", "TEMPLATE_IDS", "TEMPLATE_TITLES", "template"]

TEMPLATE_IDS = ("internal-analytics", "api-integration", "research-only", "cc-by-4.0")
TEMPLATE_TITLES: dict[str, tuple[str, str]] = {  # (zh, en)
    "internal-analytics": ("内部分析许可", "Internal analytics license"),
    "api-integration": ("接口集成许可", "API integration license"),
    "research-only": ("科研专用许可", "Research-only license"),
    "cc-by-4.0": ("知识共享署名 4.0 国际许可", "Creative Commons Attribution 4.0 International"),
}
DEFAULT_ATTRIBUTION = "elx 数据要素交易平台 / elx data exchange"
_PURPOSES = {"internal-analytics": ("internal_analytics",),
             "api-integration": ("service_integration",), "research-only": ("research",)}


def _param(name: str, build: Any) -> Any:
    try:
        return build()
    except PolicyError as exc:
        raise PolicyError(exc.message, f"/{name}") from None


def _days(name: str, value: object, low: int) -> int:
    if type(value) is not int or not low <= value <= MAX_DAYS:
        raise PolicyError(f"must be an integer in [{low}, {MAX_DAYS}]", f"/{name}")
    return value


def _shift(start: datetime, days: timedelta) -> datetime:
    try:
        return start + days
    except OverflowError:
        raise PolicyError("the validity period ends after year 9999") from None


def _scope(p: dict[str, Any]) -> tuple[ConstraintLike, ...]:
    """The constraints every permission of a template shares."""
    out: list[ConstraintLike] = []
    sets = (("purposes", LeftOperand.PURPOSE), ("regions", LeftOperand.SPATIAL),
            ("recipients", LeftOperand.RECIPIENT))
    for name, left in sets:
        if p[name] is not None:
            values = [p[name]] if isinstance(p[name], str) else p[name]
            if isinstance(values, (set, frozenset)):
                values = sorted(values, key=str)
            out.append(_param(name, lambda v=values, x=left: Constraint(x, Operator.IS_ANY_OF, v)))
    if p["valid_days"] is not None:
        days = timedelta(days=_days("valid_days", p["valid_days"], 1))
        if p["starts_at"] is None:
            out.append(Constraint(LeftOperand.ELAPSED_TIME, Operator.LT, days))
        else:
            start = _param("starts_at", lambda: Constraint(LeftOperand.DATE_TIME, Operator.GTEQ,
                                                           p["starts_at"]))
            end = _param("valid_days", lambda: Constraint(
                LeftOperand.DATE_TIME, Operator.LT, _shift(start.right_operand, days)))
            out.append(LogicalConstraint(LogicalOp.AND, (start, end)))
    elif p["starts_at"] is not None:
        raise PolicyError("starts_at needs valid_days", "/starts_at")
    return tuple(out)


def _duties(p: dict[str, Any]) -> tuple[Duty, ...]:
    if p["price_fen"] is None:
        return ()
    try:
        return (Duty(DutyAction.COMPENSATE, amount_fen=p["price_fen"], currency=p["currency"]),)
    except PolicyError as exc:
        path = "/currency" if exc.path == "/currency" else "/price_fen"
        raise PolicyError(exc.message, path) from None


def _quota(p: dict[str, Any]) -> tuple[ConstraintLike, ...]:
    if p["max_calls"] is None:
        return ()
    if type(p["max_calls"]) is not int or p["max_calls"] < 1:
        raise PolicyError("must be a positive integer", "/max_calls")
    return (_param("max_calls", lambda: Constraint(LeftOperand.COUNT, Operator.LTEQ,
                                                   p["max_calls"])),)


def template(template_id: str, *, uid: str | None = None, purposes: Iterable[str] | None = None,
             regions: Iterable[str] | None = None, recipients: Iterable[str] | None = None,
             valid_days: int | None = None, starts_at: datetime | None = None,
             max_calls: int | None = None, price_fen: int | None = None, currency: str = "CNY",
             attribution: str | None = None, delete_within_days: int = 30) -> Policy:
    """Instantiate a standard template; UnknownTemplate / PolicyError (``path`` = /param)."""
    if template_id not in TEMPLATE_IDS:
        raise UnknownTemplate(f"unknown license template {template_id!r:.60}", "/template")
    p = dict(purposes=purposes, regions=regions, recipients=recipients, valid_days=valid_days,
             starts_at=starts_at, max_calls=max_calls, price_fen=price_fen, currency=currency)
    if template_id == "cc-by-4.0":
        for name in ("purposes", "max_calls"):
            if p[name] is not None:
                raise PolicyError(f"an open {template_id} license takes no {name}", f"/{name}")
    elif purposes is None:
        p["purposes"] = _PURPOSES[template_id]
    scope, pay = _scope(p), _duties(p)
    text = DEFAULT_ATTRIBUTION if attribution is None else attribution
    cite = _param("attribution", lambda: Duty(DutyAction.ATTRIBUTE, attribution=text))
    keep = _days("delete_within_days", delete_within_days, 0)
    delete = Duty(DutyAction.DELETE, within_days=keep)
    never = (No(Action.REIDENTIFY),)
    if template_id == "internal-analytics":
        perms = (Permission(Action.USE, scope + _quota(p)), Permission(Action.DERIVE, scope))
        rules, duties = (*never, No(Action.TRANSFER)), (*pay, delete)
    elif template_id == "api-integration":
        perms = (Permission(Action.API_ACCESS, scope + _quota(p)),)
        rules = (*never, No(Action.RESELL), No(Action.CROSS_BORDER_TRANSFER))
        duties = (*pay, delete)
    elif template_id == "research-only":
        perms = (Permission(Action.QUERY, scope + _quota(p)), Permission(Action.DERIVE, scope))
        rules, duties = (*never, No(Action.TRANSFER)), (*pay, cite, delete)
    else:
        perms = tuple(Permission(a, scope, (cite,))
                      for a in (Action.USE, Action.DERIVE, Action.TRANSFER))
        rules, duties = never, pay
    uid = f"elx:template:{template_id}" if uid is None else uid
    return _param("uid", lambda: Policy(uid, perms, rules, duties))
