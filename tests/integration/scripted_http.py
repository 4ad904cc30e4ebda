"""A tiny local HTTP server that answers from a script — replies, slow replies, dropped
connections, or forwarding to another server (optionally losing the answer on the way back) —
and records every request. Used to test the payments client's retries (issue 6 §1)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: Any = field(default_factory=dict)  # JSON-encoded unless bytes
    delay: float = 0.0


@dataclass(frozen=True)
class Drop:
    """Close the connection without answering."""


@dataclass(frozen=True)
class Forward:
    """Pass the request to ``upstream``; with ``lose_answer`` the upstream's answer is dropped
    (the provider acted, the client never hears)."""

    upstream: str
    lose_answer: bool = False


Action = Reply | Drop | Forward


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    form: list[tuple[str, str]]


class ScriptedServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, script: Sequence[Action]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.script = list(script)
        self.seen: list[Seen] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def next_action(self, seen: Seen) -> Action:
        with self.lock:
            self.seen.append(seen)
            return self.script.pop(0) if len(self.script) > 1 else self.script[0]


class _Handler(BaseHTTPRequestHandler):
    server: ScriptedServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _handle(self) -> None:
        parts = urlsplit(self.path)
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        seen = Seen(self.command, parts.path, parse_qsl(parts.query, keep_blank_values=True),
                    dict(self.headers.items()), parse_qsl(raw.decode(), keep_blank_values=True))
        action = self.server.next_action(seen)
        if isinstance(action, Forward):
            upstream = requests.request(
                self.command, action.upstream + self.path, data=raw, timeout=10,
                headers={k: v for k, v in self.headers.items()
                         if k.lower() in ("authorization", "idempotency-key", "content-type")})
            lost = action.lose_answer
            action = Drop() if lost else Reply(upstream.status_code, upstream.content)
        if isinstance(action, Drop):
            self.close_connection = True
            return
        time.sleep(action.delay)
        body = action.body if isinstance(action.body, bytes) else json.dumps(
            action.body).encode()
        self.send_response(action.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with suppress(BrokenPipeError, ConnectionResetError):  # the client gave up waiting
            self.wfile.write(body)

    do_GET = do_POST = do_DELETE = _handle


@contextmanager
def scripted(*script: Action) -> Iterator[ScriptedServer]:
    server = ScriptedServer(script)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
