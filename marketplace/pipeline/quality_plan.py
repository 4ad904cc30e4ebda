"""The checks of a quality profile, as compiled by :mod:`.quality_checks` and evaluated by
:mod:`.quality_passes`: row checks (counted per row), key checks (counted per group of a key)
and reference totals, with the query parameters and per-row helper expressions they use."""

from __future__ import annotations

from dataclasses import dataclass, field

from . import quality_sql as sql

__all__ = ["Col", "GroupCheck", "Plan", "RowCheck", "TotalCheck"]


@dataclass(frozen=True)
class Col:
    """A profiled column: its name, DuckDB type and type family."""

    name: str
    type: str

    @property
    def fam(self) -> str:
        return sql.family(self.type)

    @property
    def q(self) -> str:
        return sql.ident(self.name)


@dataclass(frozen=True)
class RowCheck:
    """Counted per row: ``n`` rows where ``applies``, ``failures`` where not ``ok`` as well."""

    id: str
    dimension: str
    kind: str
    columns: tuple[str, ...]
    applies: str
    ok: str
    example: tuple[str, ...] = ()  # SQL of the values shown (masked) for a failing row
    extras: tuple[str, ...] = ()  # further aggregates, interpreted by kind
    detail: tuple[tuple[str, object], ...] = ()


@dataclass(frozen=True)
class GroupCheck:
    """Counted per group of ``key`` (None: the whole row); ``value`` for same-value rules."""

    id: str
    dimension: str
    kind: str
    columns: tuple[str, ...]
    key: tuple[str, ...] | None
    value: str | None = None


@dataclass(frozen=True)
class TotalCheck:
    """A reference total: ``SUM(column)`` against an expected value."""

    id: str
    column: str
    sum_sql: str
    expected: int | float
    tolerance: float


@dataclass
class Plan:
    """Checks in report order, and the query parameters their SQL refers to."""

    columns: tuple[Col, ...]
    row: list[RowCheck] = field(default_factory=list)
    group: list[GroupCheck] = field(default_factory=list)
    totals: list[TotalCheck] = field(default_factory=list)
    params: dict[str, object] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    helpers: list[str] = field(default_factory=list)  # SQL computed once per row, below checks
    blanks: dict[str, str] = field(default_factory=dict)  # text column → alias of its blank test

    def add(self, check: RowCheck | GroupCheck | TotalCheck) -> None:
        self.order.append(check.id)
        if isinstance(check, RowCheck):
            self.row.append(check)
        elif isinstance(check, GroupCheck):
            self.group.append(check)
        else:
            self.totals.append(check)

    def helper(self, expr: str) -> str:
        """The alias under which the row pass computes ``expr`` for the checks above it."""
        self.helpers.append(expr)
        return sql.ident(f"{sql.RESERVED}h{len(self.helpers) - 1}")

    def present(self, col: Col) -> str:
        """SQL: ``col`` is neither null nor a blank text."""
        return sql.present(col.q, self.blanks.get(col.name))

    def param(self, value: object) -> str:
        name = f"elx_p{len(self.params)}"
        self.params[name] = value
        return "$" + name
