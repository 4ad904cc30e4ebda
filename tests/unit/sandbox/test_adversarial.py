"""An attacker's suite against a ``people`` element (issue 7 acceptance).

The attacker wants the row of the target (the only person in district 'Z', aged 99, income
123457). Every attack is either refused with its rule or answered without revealing a row.

What the defences do and do not do, honestly:
* vetting stops every route to raw rows, other files, the engine and its settings;
* k-suppression drops any cell with fewer than k people, so no cell *is* one person; it does
  not stop differencing two large overlapping cells (q(A ∪ {t}) − q(A));
* the noise makes such differences unreliable: for sums the noise (scale Δ/ε = 200 000) swamps
  any one income; for counts with ε = 1 a single difference is right ~30–40 % of the time, so
  counts give plausible deniability per query, not secrecy, and the ε budget caps how many
  independent looks an attacker gets;
* repeating a question (in any spelling the normaliser unifies) returns the cached answer and
  costs nothing, so averaging repeats gains nothing; spellings it cannot unify
  (``age <> 42`` vs ``age < 42 OR age > 42``) cost ε each and run into the budget.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from sandbox import (
    BudgetExhausted,
    PrivateResult,
    QueryPolicy,
    Rejected,
    SandboxRunner,
    apply_privacy,
    charge,
    plan,
    present,
    release_from_dict,
    release_to_dict,
    vet,
)
from tests.unit.sandbox.conftest import COLUMNS, POLICY_DOC, TARGET, ZeroNoise, ask


class License:
    """The lead's contract in miniature: answers cached per fingerprint, ε charged once."""

    def __init__(self, runner: SandboxRunner, path: Path, policy: QueryPolicy) -> None:
        self.runner, self.path, self.policy = runner, path, policy
        self.cache: dict[str, dict] = {}
        self.spent = Decimal(0)

    def ask(self, sql: str) -> PrivateResult:
        vetted = vet(sql, self.policy, COLUMNS)
        if vetted.fingerprint not in self.cache:
            self.spent = charge(self.spent, self.policy.epsilon_per_query,
                                self.policy.epsilon_per_license)
            execution = plan(vetted, self.policy, COLUMNS)
            result = self.runner.execute(self.path, execution)
            release = apply_privacy(result.rows, execution,
                                    max_rows_per_identity=result.max_rows_per_identity)
            self.cache[vetted.fingerprint] = release_to_dict(release)
        return present(release_from_dict(self.cache[vetted.fingerprint]), vetted)


ESCAPES = [
    ("SELECT * FROM element WHERE district = 'Z'", "sandbox.select.star"),
    ("SELECT name, income FROM element WHERE age = 99", "sandbox.column.not_allowed"),
    ("SELECT count(*) FROM read_csv('/etc/passwd')", "sandbox.table_function.not_allowed"),
    ("SELECT count(*) FROM read_parquet('/var/blobs/*.parquet')",
     "sandbox.table_function.not_allowed"),
    ("SELECT count(*) FROM '/etc/shadow'", "sandbox.table_function.not_allowed"),
    ("SELECT count(*) FROM glob('/home/*')", "sandbox.table_function.not_allowed"),
    ("SELECT count(*) FROM query('SELECT * FROM element')", "sandbox.table_function.not_allowed"),
    ("ATTACH '/tmp/x.db'", "sandbox.statement.not_select"),
    ("COPY (SELECT * FROM element) TO '/tmp/out.csv'", "sandbox.statement.not_select"),
    ("INSTALL httpfs", "sandbox.statement.not_select"),
    ("LOAD httpfs", "sandbox.statement.not_select"),
    ("SET enable_external_access = true", "sandbox.statement.not_select"),
    ("PRAGMA show_tables", "sandbox.statement.not_select"),
    ("SELECT count(*) FROM element; SELECT * FROM element", "sandbox.statement.count"),
    ("SELECT max(CAST(name AS INTEGER)) FROM element", "sandbox.aggregate.row_revealing"),
    ("SELECT count(CAST(name AS INTEGER)) FROM element", "sandbox.select.expression"),
    ("SELECT count(*) FROM element WHERE age = CAST('x' || name AS INTEGER)",
     "sandbox.syntax.not_allowed"),
    ("SELECT count(*) FROM element WHERE age = CAST('x' AS INTEGER)",
     "sandbox.literal.type_mismatch"),
    ("SELECT count(error(name)) FROM element", "sandbox.function.not_allowed"),
    ("SELECT list(name) FROM element WHERE district = 'Z'", "sandbox.aggregate.row_revealing"),
    ("SELECT string_agg(name) FROM element", "sandbox.aggregate.row_revealing"),
    ("SELECT histogram(income) FROM element", "sandbox.aggregate.row_revealing"),
    ("SELECT arg_max(income, age) FROM element", "sandbox.aggregate.row_revealing"),
    ("SELECT max(income) FROM element WHERE age = 99", "sandbox.aggregate.row_revealing"),
    ("SELECT id, count(*) FROM element GROUP BY id", "sandbox.identity.referenced"),
    ("SELECT count(*) FROM element WHERE id = 2000", "sandbox.identity.referenced"),
    ("SELECT count(*) FROM element WHERE id BETWEEN 1999 AND 2001",
     "sandbox.identity.referenced"),
    ("SELECT sum(income) FROM element WHERE district = 'Z' OR age = 30",
     "sandbox.where.or_across_columns"),
    ("SELECT sum(income) FROM element WHERE NOT (district <> 'Z' AND age <> 30)",
     "sandbox.where.or_across_columns"),
    ("SELECT count(*) FROM element WHERE name = 'Zhang Target'", "sandbox.where.not_dimension"),
    ("SELECT sum(income) OVER (ORDER BY age) FROM element", "sandbox.window.not_allowed"),
    ("SELECT avg(income) FROM element USING SAMPLE 1 ROWS", "sandbox.sample.not_allowed"),
    ("SELECT sum(income) FROM element ORDER BY income LIMIT 1", "sandbox.order.not_output"),
]


@pytest.mark.parametrize(("sql", "rule"), ESCAPES)
def test_escapes_and_row_revealing_queries_are_refused(runner, people, policy, sql, rule):
    with pytest.raises(Rejected) as err:
        ask(runner, people, sql, policy)
    assert err.value.rule == rule


ISOLATING = [
    "SELECT count(*), sum(income), avg(income) FROM element WHERE district = 'Z'",
    "SELECT avg(income) FROM element WHERE age = 99",
    "SELECT sum(income) FROM element WHERE age >= 99 AND district IN ('Z', 'Y')",
    "SELECT count(income) FROM element WHERE age > 90",
]


@pytest.mark.parametrize("sql", ISOLATING)
def test_cells_holding_the_target_alone_are_suppressed_even_without_noise(
        runner, people, policy, sql):
    answer = ask(runner, people, sql, policy, noise=ZeroNoise())
    assert answer.rows == () and answer.suppressed == 1


def test_grouping_down_to_the_target_hides_the_target_group(runner, people, policy):
    for sql in ("SELECT district, age, count(*), avg(income) FROM element GROUP BY ALL",
                "SELECT age, sum(income) FROM element GROUP BY age ORDER BY 2 DESC LIMIT 100",
                "SELECT age, count(*) FROM element GROUP BY age ORDER BY 2 LIMIT 1"):
        answer = ask(runner, people, sql, policy, noise=ZeroNoise())
        assert answer.suppressed >= 1
        for row in answer.rows:
            assert TARGET["district"] not in row and TARGET["age"] not in row[:1]
            assert TARGET["income"] not in row


def test_exact_answers_are_correct_for_large_groups(runner, people, policy):
    """Sanity: without noise the sandbox computes the truth (so the noise is what hides)."""
    answer = ask(runner, people, "SELECT district, count(*) FROM element GROUP BY district",
                 policy, noise=ZeroNoise())
    assert answer.rows == tuple((d, 400) for d in "ABCDE") and answer.suppressed == 1


def test_differencing_a_sum_is_swamped_by_the_noise(runner, people, policy):
    big = "SELECT sum(income) FROM element WHERE district IN ('A', 'Z')"
    small = "SELECT sum(income) FROM element WHERE district = 'A'"
    close = 0
    for _ in range(15):  # fresh releases each time (no cache): the attacker's best case
        diff = ask(runner, people, big, policy).rows[0][0] - ask(
            runner, people, small, policy).rows[0][0]
        close += abs(diff - TARGET["income"]) < 5000
    assert close <= 3  # Laplace(200 000): |error| < 5 000 has probability ≈ 2.5 %


def test_differencing_a_count_is_unreliable_and_budget_limited(runner, people):
    policy = QueryPolicy.from_dict(POLICY_DOC)
    # the brief's pair: does anybody aged 42 live in A?  (true difference: the count of them)
    truth = ask(runner, people, "SELECT count(*) FROM element WHERE district = 'A'", policy,
                noise=ZeroNoise()).rows[0][0] - ask(
        runner, people, "SELECT count(*) FROM element WHERE district = 'A' AND age <> 42",
        policy, noise=ZeroNoise()).rows[0][0]
    exact = 0
    for _ in range(40):
        diff = ask(runner, people, "SELECT count(*) FROM element WHERE district = 'A'",
                   policy).rows[0][0] - ask(
            runner, people, "SELECT count(*) FROM element WHERE district = 'A' AND age <> 42",
            policy).rows[0][0]
        exact += diff == truth
    assert exact < 30  # often wrong: P(exact) ≈ 0.3 for ε = 1 per query
    lic = License(runner, people, policy)
    with pytest.raises(BudgetExhausted):
        for age in range(18, 40):  # each distinct question costs ε = 1 of the 10
            lic.ask(f"SELECT count(*) FROM element WHERE district = 'A' AND age <> {age}")
    assert lic.spent == Decimal(10)


def test_repeating_a_question_in_any_spelling_returns_the_same_answer(runner, people, policy):
    lic = License(runner, people, policy)
    spellings = ["SELECT sum(income) FROM element WHERE district IN ('A', 'Z')",
                 "select SUM(income) from element where district in ('Z','A')",
                 "SELECT sum(e.income) AS s FROM element e WHERE e.district = 'Z' OR "
                 "e.district = 'A'",
                 "SELECT sum(income) FROM element WHERE NOT district NOT IN ('A','Z','A')"]
    answers = {lic.ask(spellings[i % 4]).rows for i in range(40)}
    assert len(answers) == 1  # averaging 40 answers = the first answer
    assert lic.spent == policy.epsilon_per_query


def test_unifiable_repeats_are_free_but_other_rewrites_hit_the_budget(runner, people, policy):
    lic = License(runner, people, policy)
    lic.ask("SELECT count(*) FROM element WHERE age <> 42")
    lic.ask("SELECT count(*) FROM element WHERE NOT age = 42")  # same fingerprint
    assert lic.spent == Decimal(1)
    lic.ask("SELECT count(*) FROM element WHERE age < 42 OR age > 42")  # not unified
    assert lic.spent == Decimal(2)


def test_having_and_order_probe_only_noisy_values(runner, people, policy):
    """Filtering on an exact sum would reveal it; HAVING runs after the noise, on the cached
    release, so the probe costs nothing and tells nothing new."""
    lic = License(runner, people, policy)
    base = lic.ask("SELECT district, sum(income) FROM element GROUP BY district")
    probe = lic.ask("SELECT district, sum(income) FROM element GROUP BY district "
                    "HAVING sum(income) > 123456 ORDER BY 2 DESC")
    assert lic.spent == policy.epsilon_per_query
    assert set(probe.rows) == {r for r in base.rows if r[1] > 123456}
