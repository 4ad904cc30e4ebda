"""Statements compiled once and bound per run (issue 5 §3, marketplace.listings.prepared): the
driver parameters built from a compiled statement — named binds used more than once, binds the
compiler made itself (LIMIT/OFFSET, constants), types with a bind processor — give the same
rows as SQLAlchemy's own execution, for random values; a missing value and expanding binds
are refused."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.dialects import postgresql

from marketplace.listings.prepared import Prepared

ENGINE = sa.create_engine("sqlite://")
ROWS = sa.Table("rows", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                sa.Column("name", sa.String), sa.Column("flag", sa.Boolean),
                sa.Column("price", sa.Numeric(10, 2)))
ROWS.create(ENGINE)
with ENGINE.begin() as _conn:
    _conn.execute(ROWS.insert(), [{"id": i, "name": "abc"[i % 3] * (i % 4), "flag": i % 2 == 0,
                                   "price": i * 1.5} for i in range(60)])
STATEMENT = (sa.select(ROWS.c.id, sa.literal_column("7").label("seven"))
             .where(sa.or_(ROWS.c.name == sa.bindparam("name"),
                           ROWS.c.name > sa.bindparam("name") + "b"),
                    ROWS.c.flag == sa.bindparam("flag", type_=sa.Boolean),
                    ROWS.c.price >= sa.bindparam("price", type_=sa.Numeric(10, 2)),
                    ROWS.c.id % 5 != 3)
             .order_by(ROWS.c.id.desc()).limit(sa.bindparam("n", type_=sa.Integer)).offset(2))


@settings(max_examples=100, deadline=None)
@given(name=st.sampled_from(["", "a", "bb", "ccc", "é,'\""]), flag=st.booleans(),
       price=st.decimals(0, 100, places=2), n=st.integers(0, 70))
def test_driver_parameters_give_sqlalchemys_rows(name: str, flag: bool, price: Any,
                                                 n: int) -> None:
    values = {"name": name, "flag": flag, "price": price, "n": n}
    statement = Prepared.of(STATEMENT, ENGINE.dialect)
    with ENGINE.connect() as conn:
        raw = conn.exec_driver_sql(statement.sql, statement.parameters(values))
        assert [tuple(r) for r in raw] == [tuple(r) for r in conn.execute(STATEMENT, values)]


def test_named_paramstyle_gets_a_mapping() -> None:
    statement = Prepared.of(STATEMENT, postgresql.psycopg.dialect())
    params = statement.parameters({"name": "a", "flag": True, "price": 1, "n": 3})
    assert isinstance(params, dict)
    assert {"name": "a", "flag": True, "n": 3}.items() <= params.items()


def test_a_missing_value_is_refused() -> None:
    with pytest.raises(KeyError, match="flag"):
        Prepared.of(STATEMENT, ENGINE.dialect).parameters({"name": "a", "price": 1, "n": 3})


def test_expanding_binds_are_refused() -> None:
    with pytest.raises(TypeError):
        Prepared.of(sa.select(ROWS.c.id).where(ROWS.c.id.in_([1, 2])), ENGINE.dialect)
