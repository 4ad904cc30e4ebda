"""The three implementations timed by ``pipeline_bench.py``, each run as its own process:

    .venv/bin/python -m bench.pipeline_phases floor|elx|pandas CSV WORKDIR

Prints one JSON line: ``seconds`` (wall), ``cpu_seconds`` (user + system time of the process
over the same span, every DuckDB thread included), ``rss_mb`` (VmHWM), ``t_*`` sub-timings
(wall) and ``cpu_*`` the CPU seconds of the same sub-phases.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
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


def elx(csv: Path, work: Path) -> dict[str, float]:
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
    gate.quality(path, cols, config, result.row_count)
    t_quality, cpu2 = time.perf_counter() - t1, cpu_seconds()
    t2 = time.perf_counter()
    pii = gate.scan_output(path, cols, config)
    t_scan, cpu3 = time.perf_counter() - t2, cpu_seconds()
    leaks = {c: r for c, r in pii.items() if r.get("detected")}
    assert result.row_count == facts.row_count, (result.row_count, facts.row_count)
    return {"t_inspect(not counted)": t_inspect, "t_run": t_run, "t_quality": t_quality,
            "t_scan": t_scan, "cpu_run": cpu1 - cpu0, "cpu_quality": cpu2 - cpu1,
            "cpu_scan": cpu3 - cpu2, "elapsed": time.perf_counter() - started,
            "cpu_elapsed": cpu_seconds() - cpu0, "leaks": len(leaks)}


_ID = re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<![0-9A-Za-z])1[3-9][0-9]{9}(?![0-9A-Za-z])")
_W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _id_ok(s: str) -> bool:
    total = sum(int(c) * w for c, w in zip(s[:17], _W, strict=True))
    return "10X98765432"[total % 11] == s[17].upper()


def _redact(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    text = _ID.sub(lambda m: "[resident_id]" if _id_ok(m.group()) else m.group(), text)
    return _MOBILE.sub("[mobile]", text)


def pandas(csv: Path, work: Path) -> dict[str, float]:
    """What a data engineer would write: read, transform column by column, profile, write."""
    import pandas as pd

    df = pd.read_csv(csv, dtype={"resident_id": str, "mobile": str, "name": str, "note": str})
    df["note"] = df["note"].map(_redact)
    df["name"] = df["name"].str[:1] + df["name"].str[1:].str.replace(r".", "*", regex=True)
    df["mobile"] = df["mobile"].str[:3] + "****" + df["mobile"].str[-4:]
    df["resident_id"] = df["resident_id"].map(
        lambda v: hmac.new(SECRET, v.encode(), hashlib.sha256).hexdigest())
    low = (df["age"] // 10) * 10
    df["age"] = low.astype(str) + "-" + (low + 9).astype(str)
    df["signup_day"] = pd.to_datetime(df["signup_day"]).dt.strftime("%Y-%m")
    profile = {c: {"nulls": int(df[c].isna().sum()), "distinct": int(df[c].nunique()),
                   "valid": int(df[c].astype(str).str.fullmatch(r"\S.*").sum())}
               for c in df.columns}
    leaks = {c: int(df[c].astype(str).str.contains(_MOBILE.pattern + "|" + _ID.pattern).sum())
             for c in df.columns if df[c].dtype == object}
    df.to_parquet(work / "pandas.parquet", compression="zstd")
    return {"profiled": len(profile), "leaks": sum(leaks.values())}


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
