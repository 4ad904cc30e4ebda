"""The three implementations timed by ``pipeline_bench.py``, each run as its own process:

    .venv/bin/python -m bench.pipeline_phases floor|elx|pandas CSV WORKDIR

Prints one JSON line: ``seconds`` (wall), ``cpu_seconds`` (user + system time of the process
over the same span, every DuckDB thread included), ``rss_mb`` (VmHWM), ``t_*`` sub-timings
(wall) and ``cpu_*`` the CPU seconds of the same sub-phases.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

PHASES = ("floor", "elx", "pandas")
SECRET = b"bench-secret-0123456789abcdef"
MEMORY_LIMIT = "1GB"


def cpu_seconds() -> float:
    """User + system CPU time of this process so far, all threads."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def floor(csv: Path, work: Path) -> dict[str, float]:
    import duckdb

    with duckdb.connect() as con:
        con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
        con.execute(f"COPY (FROM read_csv('{csv}')) TO '{work / 'floor.parquet'}' "
                    "(FORMAT parquet, COMPRESSION zstd)")
    return {}


def elx_outputs(csv: Path, work: Path) -> tuple[Path, dict[str, Any], dict[str, Any],
                                                dict[str, float]]:
    """Run (a): the output Parquet, its quality profile, its PII scan and the timings."""
    from bench.pipeline_bench import SPEC_STEPS
    from marketplace.assets.tabular import inspect_table
    from marketplace.elements import gate
    from marketplace.pipeline import runner
    from marketplace.pipeline.compiler import input_table
    from marketplace.pipeline.spec import FORMAT, load_spec
    from marketplace.storage import LocalBlobStore

    t0 = time.perf_counter()
    facts = inspect_table(csv, "csv", memory_limit=MEMORY_LIMIT, threads=2)
    columns = [{"name": c.name, "type": c.type} for c in facts.columns]
    t_inspect = time.perf_counter() - t0
    spec = {"format": FORMAT, "inputs": [{"alias": "p", "version_id": "ver_benchbenchbenchb"}],
            "steps": SPEC_STEPS, "element": {"title": "people"}}
    pipeline = load_spec(spec, {"ver_benchbenchbenchb": columns})
    started, cpu0 = time.perf_counter(), cpu_seconds()
    table = input_table(csv, "csv", columns, "0" * 64, facts.row_count,
                        memory_limit=MEMORY_LIMIT)
    store = LocalBlobStore(work / "blobs")
    result = runner.run(pipeline, {"p": table}, store=store, temp_dir=work, secret=SECRET,
                        memory_limit=MEMORY_LIMIT)
    t_run, cpu1 = time.perf_counter() - started, cpu_seconds()
    path = store.local_path(result.output.sha256)
    cols = [(c.name, c.type) for c in result.schema.columns]
    config = {"memory_limit": MEMORY_LIMIT, "temp_directory": str(work / "q")}
    t1 = time.perf_counter()
    quality = gate.quality(path, cols, config, result.row_count)
    t_quality, cpu2 = time.perf_counter() - t1, cpu_seconds()
    t2 = time.perf_counter()
    pii = gate.scan_output(path, cols, config)
    t_scan, cpu3 = time.perf_counter() - t2, cpu_seconds()
    assert result.row_count == facts.row_count, (result.row_count, facts.row_count)
    return path, quality, pii, {
        "t_inspect(not counted)": t_inspect, "t_run": t_run, "t_quality": t_quality,
        "t_scan": t_scan, "cpu_run": cpu1 - cpu0, "cpu_quality": cpu2 - cpu1,
        "cpu_scan": cpu3 - cpu2, "elapsed": time.perf_counter() - started,
        "cpu_elapsed": cpu_seconds() - cpu0}


def leaks(pii: dict[str, dict[str, Any]]) -> int:
    """Rows with a PII finding, summed over the scanned columns."""
    return sum(report["rows_with_hits"] for report in pii.values())


def elx(csv: Path, work: Path) -> dict[str, float]:
    _, _, pii, timings = elx_outputs(csv, work)
    return {**timings, "leaks": leaks(pii)}


def pandas(csv: Path, work: Path) -> dict[str, float]:
    """(c), see :mod:`bench.pipeline_pandas`."""
    from bench.pipeline_pandas import pandas_outputs

    started, cpu0 = time.perf_counter(), cpu_seconds()  # after the imports, as for (a)
    _, pii, timings = pandas_outputs(csv, work / "pandas.parquet", SECRET)
    return {**timings, "elapsed": time.perf_counter() - started,
            "cpu_elapsed": cpu_seconds() - cpu0, "leaks": leaks(pii)}


def main() -> None:
    name, csv, work = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    started, cpu0 = time.perf_counter(), cpu_seconds()
    extra = {"floor": floor, "elx": elx, "pandas": pandas}[name](csv, work)
    seconds = extra.pop("elapsed", time.perf_counter() - started)
    cpu = extra.pop("cpu_elapsed", cpu_seconds() - cpu0)
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "rss_mb": peak_rss_mb(),
                      **extra}))


if __name__ == "__main__":
    main()
