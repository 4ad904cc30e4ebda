"""Fixtures for the sandbox tests: a ``people`` element (Parquet) with one unique target
person, its policy, a noise-free fake for exact checks, and a shared worker pool."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from sandbox import (
    PrivateResult,
    QueryPolicy,
    SandboxRunner,
    apply_privacy,
    plan,
    present,
    vet,
)
from sandbox.noise import Noise

PEOPLE_ROWS = 2000
# The target: the only person in district 'Z', aged 99, with a distinctive income.
TARGET = {"id": 2000, "name": "Zhang Target", "district": "Z", "age": 99, "income": 123457}
COLUMNS = {"id": "BIGINT", "name": "VARCHAR", "district": "VARCHAR", "age": "BIGINT",
           "income": "BIGINT"}
POLICY_DOC = {"identity": "id", "dimensions": ["district", "age"],
              "aggregates": {"income": {"functions": ["count", "sum", "avg"],
                                        "lower": "0", "upper": "200000"}},
              "k": 5, "epsilon_per_query": "1", "epsilon_per_license": "10", "max_rows": 100}


def make_people(path: Path, rows: int = PEOPLE_ROWS) -> Path:
    """id, name, district (A–E), age (18–77), income, plus the target row."""
    con = duckdb.connect()
    con.execute(f"""
        COPY (
          SELECT i AS id, 'Person ' || i AS name, chr((65 + i % 5)::INTEGER) AS district,
                 18 + (i * 7) % 60 AS age, (i * 7919) % 150000 AS income
          FROM range({rows}) t(i)
          UNION ALL SELECT {TARGET['id']}, '{TARGET['name']}', '{TARGET['district']}',
                           {TARGET['age']}, {TARGET['income']}
        ) TO '{path}' (FORMAT parquet)""")
    con.close()
    return path


@pytest.fixture(scope="session")
def people(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_people(tmp_path_factory.mktemp("sandbox") / "people.parquet")


@pytest.fixture(scope="session")
def policy() -> QueryPolicy:
    return QueryPolicy.from_dict(POLICY_DOC)


@pytest.fixture(scope="session")
def runner() -> Iterator[SandboxRunner]:
    with SandboxRunner(max_workers=2, timeout_s=5.0, memory_limit="256MB", threads=1) as r:
        yield r


class ZeroNoise:
    """Test fake: no noise, certifies the share it was given (exact-value checks only)."""

    def laplace(self, values: Sequence[int | float], sensitivity: int | Decimal,
                epsilon: float, integer: bool) -> tuple[list[int | float], float]:
        return list(values), epsilon


def ask(runner: SandboxRunner, path: Path, sql: str, policy: QueryPolicy,
        noise: Noise | None = None) -> PrivateResult:
    """The whole library path for one query (no cache: every call is a fresh release)."""
    vetted = vet(sql, policy, COLUMNS)
    execution = plan(vetted, policy, COLUMNS)
    result = runner.execute(path, execution)
    release = apply_privacy(result.rows, execution, noise=noise,
                            max_rows_per_identity=result.max_rows_per_identity)
    return present(release, vetted)
