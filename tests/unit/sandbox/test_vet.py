"""Vetting (issue 7 §3): every refused construct maps to its stable rule id, messages never
echo the query's literals, and equivalent spellings share one fingerprint."""

from __future__ import annotations

import pytest

from sandbox import RULES, QueryPolicy, Rejected, vet
from tests.unit.sandbox.conftest import COLUMNS, POLICY_DOC

POLICY = QueryPolicy.from_dict(POLICY_DOC)

REFUSED = [
    # statements and syntax
    ("SELECT count(*) FROM element; SELECT count(*) FROM element", "sandbox.statement.count"),
    ("SELECT count(*) FROM element; DROP TABLE element", "sandbox.statement.count"),
    ("", "sandbox.statement.count"),
    ("SELECT count(*) FROM element /* ; ATTACH 'x' */", "sandbox.syntax.comment"),
    ("SELECT count(*) FROM element -- sneaky", "sandbox.syntax.comment"),
    ("SELECT count(* FROM element", "sandbox.syntax.invalid"),
    ("SET enable_external_access = true", "sandbox.statement.not_select"),
    ("PRAGMA enable_external_access", "sandbox.statement.not_select"),
    ("ATTACH '/tmp/other.db' AS o", "sandbox.statement.not_select"),
    ("COPY element TO '/tmp/out.csv'", "sandbox.statement.not_select"),
    ("INSTALL httpfs", "sandbox.statement.not_select"),
    ("LOAD httpfs", "sandbox.statement.not_select"),
    ("SUMMARIZE element", "sandbox.statement.not_select"),
    ("DESCRIBE element", "sandbox.statement.not_select"),
    ("SELECT count(*) FROM element UNION ALL SELECT count(*) FROM element",
     "sandbox.subquery.not_allowed"),
    # sources
    ("SELECT count(*) FROM read_csv('/etc/passwd')", "sandbox.table_function.not_allowed"),
    ("SELECT count(*) FROM read_parquet('/data/other.parquet')",
     "sandbox.table_function.not_allowed"),
    ("SELECT count(*) FROM '/etc/passwd'", "sandbox.table_function.not_allowed"),
    ("SELECT count(*) FROM 'https://evil.example/x.csv'", "sandbox.table_function.not_allowed"),
    ("SELECT count(*) FROM glob('/*')", "sandbox.table_function.not_allowed"),
    ("SELECT count(*) FROM query('SELECT 1')", "sandbox.table_function.not_allowed"),
    ("SELECT count(*) FROM duckdb_settings()", "sandbox.table_function.not_allowed"),
    ("SELECT count(*) FROM other_table", "sandbox.from.not_element"),
    ("SELECT count(*) FROM main.element", "sandbox.from.not_element"),
    ("SELECT count(*) FROM (VALUES (1), (2)) t(x)", "sandbox.values.not_allowed"),
    ("SELECT count(*) FROM element a, element b", "sandbox.join.not_allowed"),
    ("SELECT count(*) FROM element AS e(district, age) WHERE district = 'Z'",
     "sandbox.syntax.not_allowed"),
    ("SELECT count(*) FROM element a JOIN element b ON a.id = b.id", "sandbox.join.not_allowed"),
    ("SELECT count(*) FROM (SELECT * FROM element)", "sandbox.subquery.not_allowed"),
    ("WITH t AS (SELECT * FROM element) SELECT count(*) FROM t", "sandbox.subquery.not_allowed"),
    ("SELECT count(*) FROM element WHERE age IN (SELECT age FROM element)",
     "sandbox.subquery.not_allowed"),
    ("SELECT count(*) FROM element USING SAMPLE 1", "sandbox.sample.not_allowed"),
    ("SELECT count(*) FROM element TABLESAMPLE 10%", "sandbox.sample.not_allowed"),
    # row-revealing aggregates and functions
    ("SELECT list(name) FROM element", "sandbox.aggregate.row_revealing"),
    ("SELECT array_agg(income) FROM element", "sandbox.aggregate.row_revealing"),
    ("SELECT string_agg(name, ',') FROM element", "sandbox.aggregate.row_revealing"),
    ("SELECT histogram(income) FROM element", "sandbox.aggregate.row_revealing"),
    ("SELECT arg_max(name, income) FROM element", "sandbox.aggregate.row_revealing"),
    ("SELECT max(income) FROM element", "sandbox.aggregate.row_revealing"),
    ("SELECT min(income) FROM element", "sandbox.aggregate.row_revealing"),
    ("SELECT first(name) FROM element", "sandbox.aggregate.row_revealing"),
    ("SELECT any_value(name) FROM element", "sandbox.aggregate.row_revealing"),
    ("SELECT median(income) FROM element", "sandbox.aggregate.row_revealing"),
    ("SELECT quantile_disc(income, 0.5) FROM element", "sandbox.aggregate.row_revealing"),
    ("SELECT error(name) FROM element", "sandbox.function.not_allowed"),
    ("SELECT count(*) FROM element WHERE length(name) = 5", "sandbox.function.not_allowed"),
    ("SELECT stddev(income) FROM element", "sandbox.function.not_allowed"),
    ("SELECT CAST(name AS INTEGER) FROM element", "sandbox.select.expression"),
    ("SELECT sum(income) OVER () FROM element", "sandbox.window.not_allowed"),
    ("SELECT count(*) FROM element QUALIFY count(*) > 1", "sandbox.window.not_allowed"),
    ("SELECT count(*) FROM element WHERE district = ?", "sandbox.parameter.not_allowed"),
    ("SELECT count(*) FROM element WHERE district = $1", "sandbox.parameter.not_allowed"),
    # columns, identity, distinct
    ("SELECT * FROM element", "sandbox.select.star"),
    ("SELECT count(*) FROM element WHERE id = 2000", "sandbox.identity.referenced"),
    ("SELECT id, count(*) FROM element GROUP BY id", "sandbox.identity.referenced"),
    ("SELECT count(DISTINCT id) FROM element", "sandbox.identity.referenced"),
    ("SELECT count(*) FROM element WHERE id IN (1, 2)", "sandbox.identity.referenced"),
    ("SELECT count(*) FROM element WHERE salary = 1", "sandbox.column.unknown"),
    ("SELECT name, count(*) FROM element GROUP BY name", "sandbox.column.not_allowed"),
    ("SELECT count(*) FROM element WHERE name = 'Zhang Target'",
     "sandbox.where.not_dimension"),
    ("SELECT count(*) FROM element WHERE income > 100000", "sandbox.where.not_dimension"),
    ("SELECT count(*) FROM element GROUP BY income", "sandbox.group.not_dimension"),
    ("SELECT DISTINCT district FROM element", "sandbox.distinct.not_allowed"),
    ("SELECT sum(DISTINCT income) FROM element", "sandbox.distinct.not_allowed"),
    ("SELECT count(DISTINCT name) FROM element", "sandbox.aggregate.not_allowed"),
    ("SELECT sum(age) FROM element", "sandbox.aggregate.not_allowed"),
    ("SELECT district FROM element GROUP BY district", "sandbox.select.no_aggregate"),
    ("SELECT district, count(*) FROM element", "sandbox.select.not_grouped"),
    ("SELECT sum(income) / count(*) FROM element", "sandbox.syntax.not_allowed"),
    ("SELECT count(*) + 1 FROM element", "sandbox.syntax.not_allowed"),
    # filters
    ("SELECT count(*) FROM element WHERE district = 'Z' OR age = 99",
     "sandbox.where.or_across_columns"),
    ("SELECT count(*) FROM element WHERE NOT (district <> 'Z' AND age <> 99)",
     "sandbox.where.or_across_columns"),
    ("SELECT count(*) FROM element WHERE age = age", "sandbox.where.not_allowed"),
    ("SELECT count(*) FROM element WHERE district LIKE 'Z%'", "sandbox.syntax.not_allowed"),
    ("SELECT count(*) FROM element WHERE age IS NULL", "sandbox.syntax.not_allowed"),
    ("SELECT count(*) FROM element WHERE age = 'ninety'", "sandbox.literal.type_mismatch"),
    ("SELECT count(*) FROM element WHERE district = 7", "sandbox.literal.type_mismatch"),
    ("SELECT count(*) FROM element WHERE age = 1e999999", "sandbox.literal.type_mismatch"),
    # having, order, limit
    ("SELECT count(*) FROM element HAVING sum(income) > 5", "sandbox.having.not_allowed"),
    ("SELECT count(*) AS n FROM element HAVING n > 1 OR n < 0", "sandbox.having.not_allowed"),
    ("SELECT district, count(*) FROM element GROUP BY district ORDER BY age",
     "sandbox.order.not_output"),
    ("SELECT district, count(*) FROM element GROUP BY district ORDER BY 3",
     "sandbox.order.not_output"),
    ("SELECT count(*) FROM element LIMIT 101", "sandbox.limit.too_large"),
    ("SELECT count(*) FROM element LIMIT 0", "sandbox.limit.invalid"),
    ("SELECT count(*) FROM element LIMIT 1 OFFSET 1", "sandbox.offset.not_allowed"),
]


@pytest.mark.parametrize(("sql", "rule"), REFUSED)
def test_each_construct_is_refused_with_its_rule(sql, rule):
    with pytest.raises(Rejected) as err:
        vet(sql, POLICY, COLUMNS)
    assert err.value.rule == rule
    assert err.value.message.startswith(RULES[rule])


@pytest.mark.parametrize(("sql", "rule"), REFUSED)
def test_messages_never_echo_literals_from_the_query(sql, rule):
    with pytest.raises(Rejected) as err:
        vet(sql, POLICY, COLUMNS)
    for secret in ("Zhang", "passwd", "evil", "ninety", "2000", "sneaky", "/tmp", "other_",
                   "other."):
        assert secret not in err.value.message


def test_the_identity_is_refused_even_when_renamed_by_case_or_quotes():
    for ref in ("ID", '"id"', '"Id"', "element.id", "e.id"):
        with pytest.raises(Rejected) as err:
            vet(f"SELECT count(*) FROM element e WHERE {ref} = 1", POLICY, COLUMNS)
        assert err.value.rule == "sandbox.identity.referenced"


ACCEPTED = [
    "SELECT count(*) FROM element",
    "SELECT district, count(*) AS n, avg(income) FROM element GROUP BY district",
    "SELECT d.district, sum(d.income) FROM element AS d WHERE d.age >= 30 GROUP BY 1",
    "SELECT count(*) FROM element WHERE district IN ('A', 'B') AND age BETWEEN 20 AND 30",
    "SELECT count(*) FROM element WHERE age < 20 OR age > 60",
    "SELECT count(*) FROM element WHERE (age >= 20 AND age < 30) OR (age >= 50 AND age < 60)",
    "SELECT age, count(*) AS n FROM element GROUP BY ALL HAVING n > 10 ORDER BY n DESC LIMIT 5",
    "FROM element SELECT count(DISTINCT district), count(income)",
]


@pytest.mark.parametrize("sql", ACCEPTED)
def test_ordinary_aggregate_queries_pass(sql):
    vetted = vet(sql, POLICY, COLUMNS)
    assert vetted.aggregates and len(vetted.fingerprint) == 64


EQUIVALENT = [
    ("SELECT district, count(*) FROM element WHERE age > 30 AND district IN ('A','B') "
     "GROUP BY district",
     "select   DISTRICT,COUNT(*) as how_many from ELEMENT as e\n where e.district in ('B','A',"
     "'A') and 30 < age group by 1",
     "SELECT count(*) AS n, district FROM element WHERE NOT (age <= 30 OR NOT district IN "
     "('A','B')) GROUP BY ALL ORDER BY n DESC LIMIT 3",
     "SELECT district, count(*) FROM element WHERE (district = 'A' OR district = 'B') AND "
     "age > 30.0 GROUP BY district HAVING count(*) > 0"),
    ("SELECT avg(income) FROM element WHERE age BETWEEN 20 AND 29",
     "SELECT avg(income) AS mean FROM element WHERE age >= 20 AND age <= 29",
     "SELECT avg(income) FROM element WHERE NOT (age < 20 OR age > 29)",
     "SELECT avg(income) FROM element WHERE age >= 2e1 AND age <= 29 AND age >= 20"),
    ("SELECT count(*) FROM element WHERE age <> 42",
     "SELECT count(*) FROM element WHERE NOT age = 42",
     "SELECT count(*) FROM element WHERE age NOT IN (42)",
     "SELECT count(*) FROM element WHERE NOT NOT NOT (42 = age)"),
]


@pytest.mark.parametrize("spellings", EQUIVALENT)
def test_equivalent_spellings_share_normalised_sql_and_fingerprint(spellings):
    vetted = [vet(s, POLICY, COLUMNS) for s in spellings]
    assert len({v.normalised_sql for v in vetted}) == 1
    assert len({v.fingerprint for v in vetted}) == 1


def test_different_questions_have_different_fingerprints():
    sqls = ["SELECT count(*) FROM element WHERE age > 30",
            "SELECT count(*) FROM element WHERE age >= 30",
            "SELECT count(*) FROM element WHERE age > 31",
            "SELECT count(*) FROM element WHERE district = 'a'",
            "SELECT count(*) FROM element WHERE district = 'A'",
            "SELECT sum(income) FROM element WHERE age > 30",
            "SELECT count(*) FROM element WHERE age > 30 GROUP BY district"]
    assert len({vet(s, POLICY, COLUMNS).fingerprint for s in sqls}) == len(sqls)


def test_fingerprint_depends_on_the_policy():
    other = QueryPolicy.from_dict({**POLICY_DOC, "k": 7})
    sql = "SELECT count(*) FROM element"
    assert vet(sql, POLICY, COLUMNS).fingerprint != vet(sql, other, COLUMNS).fingerprint


def test_presentation_is_kept_as_data_for_after_the_noise():
    v = vet("SELECT age AS a, count(*) AS n FROM element GROUP BY a HAVING n >= 10 "
            "ORDER BY n DESC, 1 LIMIT 5", POLICY, COLUMNS)
    assert v.columns == ("a", "n") and v.dimensions == ("age",)
    assert [(h.output, h.op, int(h.value)) for h in v.having] == [(1, ">=", 10)]
    assert [(o.output, o.descending) for o in v.order] == [(1, True), (0, False)]
    assert v.limit == 5


def test_a_policy_naming_unknown_columns_is_a_policy_error():
    from sandbox import PolicyError

    with pytest.raises(PolicyError):
        vet("SELECT count(*) FROM element", POLICY, {"id": "BIGINT"})
