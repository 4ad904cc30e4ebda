"""The hardened runner (issue 7 §5), attacked directly with *trusted* SQL: even SQL that
vetting would never let through cannot reach files, the network, extensions or settings, and
the pool survives timeouts, hangs and crashes."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from sandbox import GENERIC_FAILURE, QueryFailed, QueryTimeout, SandboxRunner
from tests.unit.sandbox.conftest import PEOPLE_ROWS

LONG_QUERY = "SELECT sum(hash(i)) FROM range(1000000000000) t(i)"  # hours on one thread


@pytest.fixture(scope="module")
def secrets(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("secrets")
    (d / "secret.csv").write_text("token,value\nroot,hunter2\n")
    return d


def settings(runner: SandboxRunner, people: Path) -> dict[str, str]:
    rows = runner.run(people, "SELECT name, value FROM duckdb_settings()")
    return {name: str(value) for name, value in rows}


def test_engine_settings_are_locked_down(runner, people):
    s = settings(runner, people)
    assert s["enable_external_access"] == "false"
    assert s["lock_configuration"] == "true"
    assert s["autoinstall_known_extensions"] == "false"
    assert s["autoload_known_extensions"] == "false"
    assert s["allow_community_extensions"] == "false"
    assert s["allow_unsigned_extensions"] == "false"
    assert s["python_enable_replacements"] == "false"
    assert s["allow_extension_repositories"] == "forbidden"
    assert s["threads"] == "1"
    assert s["temp_directory"] == ""
    assert s["memory_limit"].startswith("244")  # 256 MB in MiB
    assert s["allowed_paths"] == f"[{os.path.realpath(people)}]"
    assert s["allowed_directories"] == "[]"


def test_the_element_is_readable(runner, people):
    assert runner.run(people, "SELECT count(*) FROM element") == [(PEOPLE_ROWS + 1,)]


def file_attacks(secrets: Path, people: Path) -> list[str]:
    secret, other = secrets / "secret.csv", secrets / "copy.parquet"
    return [
        f"SELECT * FROM read_csv('{secret}')",
        f"SELECT * FROM '{secret}'",
        f"SELECT * FROM read_text('{secret}')",
        f"SELECT * FROM read_blob('{secret}')",
        f"SELECT * FROM sniff_csv('{secret}')",
        f"SELECT * FROM glob('{secrets}/*')",
        f"SELECT * FROM read_parquet('{people.parent}/*.parquet')",
        f"SELECT * FROM read_parquet('{other}')",
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM 'https://example.invalid/data.csv'",
        "SELECT * FROM read_parquet('s3://bucket/data.parquet')",
        f"SELECT * FROM query('SELECT * FROM read_csv(''{secret}'')')",
        f"ATTACH '{secrets}/attached.db' AS a",
        f"COPY element TO '{secrets}/stolen.csv'",
        f"COPY (SELECT 1) TO '{secrets}/stolen2.csv'",
        f"EXPORT DATABASE '{secrets}/export'",
        "INSTALL httpfs",
        "LOAD httpfs",
        "LOAD '/tmp/evil.duckdb_extension'",
        "CREATE SECRET s (TYPE s3, KEY_ID 'k', SECRET 'v')",
    ]


def test_every_file_network_and_extension_route_is_closed(runner, people, secrets):
    for sql in file_attacks(secrets, people):
        with pytest.raises(QueryFailed) as err:
            runner.run(people, sql)
        assert err.value.message == GENERIC_FAILURE, sql
        assert "hunter2" not in str(err.value)
    assert sorted(p.name for p in secrets.iterdir()) == ["secret.csv"]  # nothing written


@pytest.mark.parametrize("sql", [
    "SET enable_external_access = true",
    "SET lock_configuration = false",
    "RESET lock_configuration",
    "SET threads = 8",
    "PRAGMA threads = 8",
    "SET memory_limit = '64GB'",
    "SET allowed_directories = ['/']",
    "SET autoload_known_extensions = true",
    "SET python_enable_replacements = true",
    "SET disabled_filesystems = ''",
    "SET temp_directory = '/tmp'",
])
def test_configuration_cannot_be_changed(runner, people, sql):
    with pytest.raises(QueryFailed):
        runner.run(people, sql)
    assert settings(runner, people)["lock_configuration"] == "true"


def test_engine_errors_never_carry_data(runner, people):
    for sql in ("SELECT CAST(name AS INTEGER) FROM element",
                "SELECT error(name) FROM element",
                "SELECT error(name) FROM element WHERE age = 99"):
        with pytest.raises(QueryFailed) as err:
            runner.run(people, sql)
        assert str(err.value) == GENERIC_FAILURE
        assert "Person" not in repr(err.value) and "Zhang" not in repr(err.value)
        assert err.value.__cause__ is None and err.value.__context__ is None


def test_nothing_a_statement_creates_survives_it(runner, people):
    for _ in range(3):  # whichever worker answers
        runner.run(people, "CREATE OR REPLACE VIEW element AS SELECT 1 AS id")
        runner.run(people, "CREATE TABLE leftovers AS SELECT 1 AS x")
    for _ in range(4):
        assert runner.run(people, "SELECT count(*) FROM element") == [(PEOPLE_ROWS + 1,)]
        with pytest.raises(QueryFailed):
            runner.run(people, "SELECT * FROM leftovers")


def test_memory_limit_stops_a_hungry_query_and_the_pool_serves_on(runner, people):
    with pytest.raises(QueryFailed):
        runner.run(people, "SELECT list(i) FROM range(200000000) t(i)")
    assert runner.run(people, "SELECT count(*) FROM element") == [(PEOPLE_ROWS + 1,)]


def test_result_size_is_capped(people):
    with SandboxRunner(max_workers=1, max_result_rows=10) as small:
        with pytest.raises(QueryFailed):
            small.run(people, "SELECT * FROM element")
        assert len(small.run(people, "SELECT * FROM element LIMIT 10")) == 10


def test_execute_reports_rows_per_identity_and_a_broken_bound_releases_nothing(
        runner, tmp_path):
    import duckdb

    from sandbox import PolicyError, QueryPolicy, apply_privacy, plan, vet
    from tests.unit.sandbox.conftest import COLUMNS, POLICY_DOC

    path = tmp_path / "visits.parquet"  # every identity has two rows
    duckdb.connect().execute(
        f"COPY (SELECT i % 100 AS id, 'n' AS name, 'A' AS district, 30 AS age, 1 AS income "
        f"FROM range(200) t(i)) TO '{path}' (FORMAT parquet)")
    sql = "SELECT count(*) FROM element"
    for bound, ok in ((1, False), (2, True)):
        policy = QueryPolicy.from_dict({**POLICY_DOC, "max_rows_per_identity": bound})
        execution = plan(vet(sql, policy, COLUMNS), policy, COLUMNS)
        result = runner.execute(path, execution)
        assert result.max_rows_per_identity == 2
        if ok:
            assert result.rows == [(100, 200)]  # 100 identities, 200 rows
            apply_privacy(result.rows, execution, max_rows_per_identity=2)
        else:
            with pytest.raises(PolicyError):
                apply_privacy(result.rows, execution, max_rows_per_identity=2)


def test_a_missing_element_file_fails_generically(runner, tmp_path):
    with pytest.raises(QueryFailed):
        runner.run(tmp_path / "absent.parquet", "SELECT 1")


@pytest.fixture(scope="module")
def quick() -> SandboxRunner:
    with SandboxRunner(max_workers=1, timeout_s=1.0, grace_s=1.0, threads=1) as r:
        yield r


def test_timeout_interrupts_a_query_of_hours_and_the_pool_keeps_serving(quick, people):
    assert quick.run(people, "SELECT 1") == [(1,)]  # warm: worker started
    before = quick.worker_pids()
    start = time.monotonic()
    with pytest.raises(QueryTimeout):
        quick.run(people, LONG_QUERY)
    elapsed = time.monotonic() - start
    assert 0.9 <= elapsed < 1.0 + 1.0  # within the limit + grace: the interrupt worked
    assert quick.run(people, "SELECT count(*) FROM element") == [(PEOPLE_ROWS + 1,)]
    assert quick.worker_pids() == before  # interrupted, not killed


def test_a_hung_worker_is_killed_and_replaced(quick, people):
    quick.run(people, "SELECT 1")
    (pid,) = quick.worker_pids()
    os.kill(pid, signal.SIGSTOP)  # the worker can no longer answer, not even to interrupt
    start = time.monotonic()
    with pytest.raises(QueryTimeout):
        quick.run(people, "SELECT count(*) FROM element")
    assert time.monotonic() - start < 1.0 + 1.0 + 1.0
    (new_pid,) = quick.worker_pids()
    assert new_pid != pid
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # really gone
    assert quick.run(people, "SELECT count(*) FROM element") == [(PEOPLE_ROWS + 1,)]


def test_a_crashed_worker_is_replaced(quick, people):
    quick.run(people, "SELECT 1")
    (pid,) = quick.worker_pids()
    os.kill(pid, signal.SIGKILL)
    time.sleep(0.2)
    assert quick.run(people, "SELECT count(*) FROM element") == [(PEOPLE_ROWS + 1,)]
    assert quick.worker_pids() != [pid]


def test_workers_serve_concurrent_callers(runner, people):
    results: list[object] = []

    def call() -> None:
        results.append(runner.run(people, "SELECT count(*) FROM element"))

    threads = [threading.Thread(target=call) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results == [[(PEOPLE_ROWS + 1,)]] * 6


def test_replacement_scans_cannot_reach_python_objects(people):
    """In the worker no DataFrame is in scope anyway; here one is, and it stays unreachable."""
    import duckdb

    from sandbox.worker import harden

    pd = pytest.importorskip("pandas")
    secret_frame = pd.DataFrame({"token": ["hunter2"]})
    con = harden(str(people), "element", {"threads": 1, "memory_limit": "128MB"})
    with pytest.raises(duckdb.Error):
        con.execute("SELECT * FROM secret_frame").fetchall()
    assert secret_frame.shape == (1, 1)
    assert con.execute("SELECT count(*) FROM element").fetchall() == [(PEOPLE_ROWS + 1,)]
