"""elx marketplace service: ``create_app`` is the only entry point; nothing runs at import."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

__all__ = ["create_app"]


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the Flask application (DESIGN.md "Layout": application factory only)."""
    from marketplace import config as settings
    from marketplace.clock import SystemClock
    from marketplace.db import db, engine_options, tune_engine
    from marketplace.errors import register_error_handlers
    from marketplace.http import reject_control_characters_in_url
    from marketplace.secrets import ensure_local_secrets

    values = settings.load(config)
    app = Flask(__name__, static_folder=None)  # console assets: marketplace/web/static
    app.config.update(values)
    var_dir = Path(app.config["VAR_DIR"])
    var_dir.mkdir(parents=True, exist_ok=True)
    ensure_local_secrets(app.config, var_dir)
    url = _absolute_sqlite(app.config["DATABASE_URL"])
    app.config.update(
        SQLALCHEMY_DATABASE_URI=url,
        SQLALCHEMY_ENGINE_OPTIONS=engine_options(url),
        MAX_CONTENT_LENGTH=None,  # uploads are limited while streaming, JSON in http.json_body
        JSON_SORT_KEYS=False,
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]
    logging.basicConfig(level=app.config["LOG_LEVEL"])
    app.extensions["elx.clock"] = app.config.get("CLOCK") or SystemClock()

    db.init_app(app)
    with app.app_context():
        tune_engine(db.engine)
    register_error_handlers(app)
    app.before_request(reject_control_characters_in_url)
    _register_blueprints(app)
    from marketplace.web import register as register_console

    register_console(app)
    _register_services(app)
    _register_commands(app)
    return app


def _absolute_sqlite(url: str) -> str:
    """Relative SQLite paths are relative to the working directory (Flask-SQLAlchemy would
    otherwise put them under the instance folder); the parent directory is created."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or url in (prefix, prefix + ":memory:"):
        return url
    path = Path(url.removeprefix(prefix)).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    return prefix + str(path)


def _register_blueprints(app: Flask) -> None:
    from marketplace.access.views import bp as access_bp
    from marketplace.accounts.views import bp as accounts_bp
    from marketplace.assets.views import bp as assets_bp
    from marketplace.elements.views import bp as elements_bp
    from marketplace.health import bp as health_bp
    from marketplace.ledger_api.views import bp as ledger_bp
    from marketplace.listings.views import bp as listings_bp
    from marketplace.orders.views import bp as orders_bp
    from marketplace.payments.views import bp as payments_bp
    from marketplace.revenue.billing_views import bp as billing_bp
    from marketplace.revenue.views import bp as revenue_bp
    from marketplace.valuations.views import bp as valuations_bp

    # payments before orders: it installs the configured gateway, orders only a default fake
    for bp in (health_bp, accounts_bp, assets_bp, elements_bp, ledger_bp, valuations_bp,
               listings_bp, payments_bp, orders_bp, revenue_bp, billing_bp, access_bp):
        app.register_blueprint(bp, url_prefix="/api/v1")


def _register_services(app: Flask) -> None:
    from marketplace.ledger_api.services import init_ledger
    from marketplace.storage import LocalBlobStore

    blob_dir = app.config["BLOB_DIR"] or str(Path(app.config["VAR_DIR"]) / "blobs")
    app.extensions["elx.blobs"] = LocalBlobStore(Path(blob_dir))
    init_ledger(app)
    _register_jobs(app)


def _register_jobs(app: Flask) -> None:
    """Job handlers; with ``WORKER_THREADS`` > 0 the first request recovers jobs of dead
    workers and starts the worker threads (CLI commands such as ``db upgrade`` start none;
    tests set 0 and call ``run_pending``)."""
    import threading

    from marketplace.elements import handler
    from marketplace.elements.services import JOB_KIND
    from marketplace.jobs.services import recover
    from marketplace.jobs.worker import Worker, register_handler

    register_handler(app, JOB_KIND, handler.build)
    app.extensions["elx.job_cleanup"] = {JOB_KIND: handler.cleanup}
    threads = int(app.config["WORKER_THREADS"])
    if threads <= 0:
        return
    lock = threading.Lock()

    def start_worker() -> None:
        with lock:
            if "elx.worker" in app.extensions:
                return
            recover(app.config["JOB_STALE_SECONDS"], app.extensions["elx.job_cleanup"])
            app.extensions["elx.worker"] = Worker(app, threads).start()
            from marketplace.payments.cli import start_timer

            start_timer(app)

    app.before_request(start_worker)


def _register_commands(app: Flask) -> None:
    from marketplace.commands import register
    from marketplace.payments.cli import register as register_payments

    register(app)
    register_payments(app)
