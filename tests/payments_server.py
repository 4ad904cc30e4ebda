"""A real localstripe process per test module (issue 6 §1): ``from tests.payments_server import
localstripe`` in a test module, then use the ``localstripe`` fixture.

The server (see :mod:`tests.localstripe_main`) starts on a free 127.0.0.1 port, is polled until
it answers, and is killed when the module's tests are done — so every module starts from an
empty store. Tests are skipped, with the reason, when localstripe is not installed or does not
come up.
"""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]
SECRET_KEY = "sk_test_elx_tests"
START_TIMEOUT = 20.0


@dataclass
class LocalStripe:
    base_url: str
    secret_key: str
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def config(self) -> dict[str, object]:
        """Settings for ``create_app`` / ``StripeClient.from_config``."""
        return {"STRIPE_API_BASE": self.base_url, "STRIPE_SECRET_KEY": self.secret_key,
                "PAYMENTS_TIMEOUT_SECONDS": 10.0}

    def flush(self) -> None:
        """Empty the server's store (registered webhooks stay)."""
        requests.delete(f"{self.base_url}/_config/data", timeout=5).raise_for_status()

    def register_webhook(self, url: str, secret: str, events: Sequence[str] | None = None,
                         name: str = "elx") -> None:
        """Have the server POST (signed) events to ``url`` — optionally only ``events``."""
        body: dict[str, object] = {"url": url, "secret": secret}
        if events is not None:
            body["events"] = list(events)
        requests.post(f"{self.base_url}/_config/webhooks/{name}", json=body,
                      timeout=5).raise_for_status()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(base_url: str) -> bool:
    try:
        response = requests.get(f"{base_url}/v1/balance", timeout=1,
                                headers={"Authorization": f"Bearer {SECRET_KEY}"})
    except requests.RequestException:
        return False
    return response.status_code == 200


def start(attempts: int = 3) -> LocalStripe:
    """Start a server; raise ``RuntimeError`` (with its log) if none comes up."""
    log_dir = Path(tempfile.mkdtemp(prefix="localstripe-"))
    reason = ""
    for attempt in range(attempts):
        port = free_port()  # another process may take it first: then try the next one
        log_path = log_dir / f"server-{attempt}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "tests.localstripe_main", "--port", str(port)],
                cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        base_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline and process.poll() is None:
            if _answers(base_url):
                return LocalStripe(base_url, SECRET_KEY, process, log_path)
            time.sleep(0.1)
        stop(process)
        reason = log_path.read_text(errors="replace")[-2000:]
    raise RuntimeError(f"localstripe did not start: {reason}")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.fixture(scope="module")
def localstripe() -> Iterator[LocalStripe]:
    if importlib.util.find_spec("localstripe") is None:
        pytest.skip("localstripe is not installed (pip install -e '.[test]')")
    try:
        server = start()
    except RuntimeError as exc:
        pytest.skip(str(exc))
    try:
        yield server
    finally:
        stop(server.process)
