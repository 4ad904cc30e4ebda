"""The README's curl walkthrough works exactly as written (issue 3 acceptance): the block between
the ``walkthrough`` markers runs in bash against a live server seeded with the demo world."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[2]


def walkthrough() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- walkthrough:start -->\s*```bash\n(.*?)```\s*<!-- walkthrough:end -->",
                      text, re.S)
    assert match, "README has no walkthrough block"
    return match.group(1)


@pytest.fixture
def live_server(app_factory: Any) -> Iterator[str]:
    from marketplace.demo_seed import load_demo_world

    app = app_factory()
    with app.app_context():
        load_demo_world(rows=30)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/api/v1"
    finally:
        server.shutdown()
        thread.join(5)


@pytest.mark.skipif(not all(shutil.which(t) for t in ("bash", "curl", "iconv")),
                    reason="needs bash, curl and iconv")
def test_readme_walkthrough_runs_as_written(live_server: str, tmp_path: Path) -> None:
    env = {**os.environ, "BASE": live_server,
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "PYTHONPATH": str(ROOT)}
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", walkthrough()], cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    receipt = (tmp_path / "receipt.json").read_text()
    assert '"checkpoint"' in receipt
    assert (tmp_path / "companies.csv").read_bytes().decode("gbk").startswith("企业名称")


def test_walkthrough_verification_fails_on_a_tampered_receipt(live_server: str,
                                                              tmp_path: Path) -> None:
    """The last step is a real check: the same script with one changed byte must fail."""
    script = walkthrough().replace(
        "python -m ledger verify-receipt",
        "python3 -c \"import json; r=json.load(open('receipt.json')); "
        "r['index'] = r['index'] + 1; json.dump(r, open('receipt.json', 'w'))\"\n"
        "python -m ledger verify-receipt")
    env = {**os.environ, "BASE": live_server,
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "PYTHONPATH": str(ROOT)}
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
