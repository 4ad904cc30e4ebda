"""Every setting, declared once: name, type, default, description.

Values come from ``ELX_<NAME>`` environment variables, then from the mapping passed to
``create_app(config=...)`` (tests), then from the default. ``python -m marketplace.config``
prints the table the README shows.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Setting:
    name: str
    parse: Callable[[str], Any]
    default: Any
    description: str


SETTINGS: tuple[Setting, ...] = (
    Setting("DATABASE_URL", str, "sqlite:///var/elx.db",
            "SQLAlchemy URL of the registry database (SQLite file or postgresql+psycopg://…)."),
    Setting("VAR_DIR", str, "var", "Directory for local state: blobs, keys, SQLite file."),
    Setting("BLOB_DIR", str, "", "Content-addressed blob store root (default: VAR_DIR/blobs)."),
    Setting("SECRET_KEY", str, "",
            "Flask secret (sessions, CSRF). Generated into VAR_DIR if empty."),
    Setting("JWT_KEYS", str, "",
            "JWT signing keys 'kid:secret,kid:secret'; the first signs, all verify. "
            "Generated into VAR_DIR if empty."),
    Setting("ACCESS_TOKEN_TTL", int, 900, "Lifetime of access tokens (JWT), seconds."),
    Setting("REFRESH_TOKEN_TTL", int, 30 * 24 * 3600, "Lifetime of refresh tokens, seconds."),
    Setting("WEB_COOKIE_SECURE", str, "auto",
            "Console cookies' Secure flag: 'auto' (when the request came over TLS), 'always' "
            "(behind a TLS-terminating proxy) or 'never'."),
    Setting("API_KEY_DEFAULT_TTL_DAYS", int, 365, "Default API key lifetime, days."),
    Setting("LOGIN_MAX_FAILURES", int, 5, "Failed logins per account allowed within "
            "LOGIN_WINDOW before further attempts are refused with 429."),
    Setting("LOGIN_MAX_FAILURES_PER_CLIENT", int, 20, "Failed logins per client address (any "
            "accounts: credential stuffing) within LOGIN_WINDOW before 429."),
    Setting("LOGIN_WINDOW", int, 900, "Login throttling window, seconds."),
    Setting("SCRYPT_N", int, 2**15, "scrypt cost parameter N for password hashes (RFC 7914)."),
    Setting("MAX_JSON_BYTES", int, 1 << 20, "Largest accepted JSON request body, bytes."),
    Setting("MAX_UPLOAD_BYTES", int, 2 << 30, "Largest accepted asset upload, bytes."),
    Setting("DUCKDB_MEMORY_LIMIT", str, "256MB", "DuckDB memory limit for processing (pipeline "
            "runs, quality profiles, PII scans) and for checking JSON Lines and Parquet uploads."),
    Setting("UPLOAD_CSV_MEMORY_LIMIT", str, "64MB", "DuckDB memory limit while an uploaded CSV "
            "is checked (sniffed and strictly counted); a CSV that needs more is refused with "
            "422."),
    Setting("WORKER_THREADS", int, 1,
            "Background job worker threads started with the service (0: none; jobs wait)."),
    Setting("JOB_STALE_SECONDS", int, 300,
            "A running job without a heartbeat for this long is failed and cleaned up at start."),
    Setting("LEDGER_ORIGIN", str, "elx.example/ledger", "Checkpoint origin line (C2SP tlog)."),
    Setting("LEDGER_KEY_NAME", str, "elx.example/ledger", "Signed-note key name of the log."),
    Setting("LEDGER_KEY_FILE", str, "",
            "Ed25519 PEM private key of the log (default VAR_DIR/ledger-key.pem, created on "
            "first start)."),
    Setting("LEDGER_RETIRED_VKEYS", str, "",
            "Comma-separated verifier keys of retired log keys (still published)."),
    Setting("LEDGER_WITNESS_KEY_FILE", str, "",
            "Optional Ed25519 PEM key that cosigns checkpoints."),
    Setting("STRIPE_API_BASE", str, "http://127.0.0.1:8420",
            "Base URL of the Stripe-compatible payments API (localstripe in dev and tests; "
            "https://api.stripe.com in production)."),
    Setting("STRIPE_SECRET_KEY", str, "sk_test_elx_dev",
            "Secret API key for the payments API (the default only suits localstripe)."),
    Setting("STRIPE_WEBHOOK_SECRET", str, "whsec_elx_dev",
            "Webhook signing secret(s), comma-separated while rotating; every v1 signature "
            "is checked against each."),
    Setting("PAYMENTS_TIMEOUT_SECONDS", float, 30.0,
            "Read timeout of one payments API request, seconds (connect timeout: at most 5)."),
    Setting("PAYMENT_PENDING_TTL_MINUTES", int, 30,
            "How long an order may wait for its payment before it expires, minutes."),
    Setting("PAYMENTS_GATEWAY", str, "stripe",
            "Payment gateway: 'stripe' (any Stripe-compatible API at STRIPE_API_BASE; "
            "localstripe under `make run`) or 'fake' (in-memory; tests and demos)."),
    Setting("PAYMENTS_SYNC_SECONDS", int, 300,
            "How often the worker settles pending payments from the provider, expires unpaid "
            "orders and closes finished days, seconds (0: never; `flask payments sync`)."),
    Setting("REVENUE_DEFAULT_FEES", str, "1000,500,100",
            "Fee schedule 'platform_bps,public_service_bps,minimum_fee_fen' installed, "
            "effective from 1970, the first time a currency has none in force."),
    Setting("SANDBOX_WORKERS", int, 2,
            "Worker processes running sandbox queries (each a locked-down DuckDB)."),
    Setting("SANDBOX_TIMEOUT_SECONDS", float, 10.0,
            "Wall-clock limit of one sandbox query; the worker is interrupted, then replaced."),
    Setting("SANDBOX_MEMORY_LIMIT", str, "1GB", "DuckDB memory limit of each sandbox worker."),
    Setting("RECORDS_RATE_PER_SECOND", float, 20.0,
            "Records API token-bucket refill rate per API key (per process), calls/second."),
    Setting("RECORDS_RATE_BURST", int, 40, "Records API token-bucket size per API key."),
    Setting("PAGE_SIZE_MAX", int, 200, "Largest page a list endpoint returns."),
    Setting("LOG_LEVEL", str, "INFO", "Python logging level."),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def load(overrides: Mapping[str, Any] | None = None,
         environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Resolve every setting: overrides > ``ELX_*`` environment > default."""
    env = os.environ if environ is None else environ
    overrides = dict(overrides or {})
    unknown = [k for k in overrides if k not in _BY_NAME and not k.isupper()]
    if unknown:
        raise KeyError(f"unknown settings: {unknown}")
    resolved: dict[str, Any] = {}
    for setting in SETTINGS:
        if setting.name in overrides:
            resolved[setting.name] = overrides.pop(setting.name)
        elif f"ELX_{setting.name}" in env:
            raw = env[f"ELX_{setting.name}"]
            try:
                resolved[setting.name] = setting.parse(raw)
            except ValueError as exc:
                raise ValueError(f"ELX_{setting.name}: {exc}") from exc
        else:
            resolved[setting.name] = setting.default
    resolved.update(overrides)  # plain Flask keys such as TESTING
    return resolved


def markdown_table() -> str:
    """The configuration table for the README."""
    lines = ["| variable | default | description |", "|---|---|---|"]
    for s in SETTINGS:
        lines.append(f"| `ELX_{s.name}` | `{s.default!r}` | {s.description} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown_table())
