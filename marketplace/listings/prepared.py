"""Catalog statements compiled once per shape and run on the driver (issue 5 §3, catalog
performance).

A search's statement depends only on its *shape* (how many terms, the sort, which filters
with how many values, whether a cursor is given); its values (terms, domains, cursor, limit)
are bound parameters. Building and compiling the SQLAlchemy construct costs more than
SQLite's own work for a small search, so each shape's statement is built and compiled once
per dialect (an LRU of :data:`SHAPES`), and each search binds its values and runs the SQL with
``exec_driver_sql`` on the session's connection — same transaction, same engine events.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from threading import Lock
from typing import Any

from sqlalchemy.engine import Dialect

from marketplace.db import db

SHAPES = 512  # statements kept per process (a few kB each: SQL text and bind names)


@dataclass(frozen=True)
class Prepared:
    """One statement's SQL for one dialect and how to bind it — not the construct itself,
    which is many times larger."""

    sql: str
    names: tuple[str, ...] | None  # the binds in positional order; None: named paramstyle
    constants: dict[str, Any]  # binds whose value was fixed when the statement was built
    required: frozenset[str]  # binds each run must give
    processors: dict[str, Callable[[Any], Any]]  # the bind types' own conversions

    @classmethod
    def of(cls, statement: Any, dialect: Dialect) -> Prepared:
        compiled = statement.compile(dialect=dialect)
        if (compiled.post_compile_params or compiled.literal_execute_params
                or compiled.escaped_bind_names):
            raise TypeError("expanding, literal-execute or escaped parameters are not "
                            "supported here")
        binds = compiled.bind_names.items()
        return cls(
            compiled.string,
            tuple(compiled.positiontup or ()) if compiled.positional else None,
            {name: bind.effective_value for bind, name in binds if not bind.required},
            frozenset(name for bind, name in binds if bind.required),
            {name: proc for bind, name in binds
             if (proc := bind.type.bind_processor(dialect)) is not None})

    def parameters(self, values: dict[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        """The driver's parameters: ``values`` by bind name, the constants as built."""
        if missing := self.required - values.keys():
            raise KeyError(f"no value for the bind parameters {sorted(missing)}")
        params = {**self.constants, **values}
        for name, proc in self.processors.items():
            params[name] = proc(params[name])
        if self.names is not None:
            return tuple(params[name] for name in self.names)
        return params


_cache: OrderedDict[tuple[Dialect, Hashable], Prepared] = OrderedDict()
_lock = Lock()


def run(shape: Hashable, build: Callable[[Dialect], Any], values: dict[str, Any]) -> list[Any]:
    """Run the statement of ``shape`` — built by ``build(dialect)`` and compiled on first
    use — with ``values`` on the session's connection; the rows as the driver returns them."""
    conn = db.session.connection()
    statement = _prepared(conn.dialect, shape, build)
    return conn.exec_driver_sql(statement.sql, statement.parameters(values)).all()


def _prepared(dialect: Dialect, shape: Hashable, build: Callable[[Dialect], Any]) -> Prepared:
    key = (dialect, shape)  # each engine's own dialect: its settings may change the SQL
    with _lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found
    made = Prepared.of(build(dialect), dialect)
    with _lock:
        _cache[key] = made
        while len(_cache) > SHAPES:
            _cache.popitem(last=False)
    return made
