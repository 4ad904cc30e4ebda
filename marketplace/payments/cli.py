"""``flask --app marketplace payments sync``, ``flask --app marketplace revenue close-day
[DATE]`` and ``flask --app marketplace revenue invoice-usage --period YYYY-MM`` (issue 6 §2,
§3, §4), and the worker's timer that runs both every
``PAYMENTS_SYNC_SECONDS`` (sync; and closing yesterday once it is over).
"""

from __future__ import annotations

import logging
import threading
from datetime import date, timedelta

import click
from flask import Flask
from flask.cli import AppGroup

from marketplace.clock import utcnow
from marketplace.db import db
from marketplace.errors import Conflict

log = logging.getLogger(__name__)


def run_periodic(app: Flask) -> dict[str, int]:
    """One tick of the timer: payments sync, then close yesterday if still open."""
    from marketplace.payments.sync import sync
    from marketplace.revenue.services import close_day

    with app.app_context():
        result = sync()
        try:
            close_day(utcnow().date() - timedelta(days=1))
            result["days_closed"] = 1
        except Conflict:
            db.session.rollback()
            result["days_closed"] = 0
        finally:
            db.session.remove()
        return result


def start_timer(app: Flask) -> threading.Event | None:
    """A daemon thread ticking every ``PAYMENTS_SYNC_SECONDS``; set the event to stop it."""
    seconds = int(app.config["PAYMENTS_SYNC_SECONDS"])
    if seconds <= 0:
        return None
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(seconds):
            try:
                run_periodic(app)
            except Exception:
                log.exception("payments timer tick failed")

    threading.Thread(target=loop, daemon=True, name="elx-payments-timer").start()
    app.extensions["elx.payments_timer"] = stop
    return stop


def register(app: Flask) -> None:
    payments = AppGroup("payments", help="Payments (issue 6).")

    @payments.command("sync")
    def sync_command() -> None:
        """Settle pending payments from the provider; retry refunds; expire unpaid orders."""
        from marketplace.payments.sync import sync

        for name, count in sync().items():
            click.echo(f"{name}: {count}")

    revenue = AppGroup("revenue", help="Revenue journal (issue 6).")

    @revenue.command("close-day")
    @click.argument("day", required=False, type=click.DateTime(formats=["%Y-%m-%d"]))
    def close_day_command(day: object) -> None:
        """Append DAY's journal digest (default: yesterday, UTC) to the ledger."""
        from marketplace.revenue.services import close_day

        target: date = day.date() if day is not None else (  # type: ignore[attr-defined]
            utcnow().date() - timedelta(days=1))
        row = close_day(target)
        click.echo(f"{row.day.isoformat()}: {row.transactions} transactions, {row.lines} "
                   f"lines, digest {row.digest}, ledger entry {row.ledger_index}")

    @revenue.command("invoice-usage")
    @click.option("--period", required=True, help="The month to invoice, YYYY-MM (UTC).")
    def invoice_usage_command(period: str) -> None:
        """Invoice metered plans for PERIOD from recorded usage (idempotent)."""
        from marketplace.errors import DomainError
        from marketplace.revenue.billing import run_period

        try:
            result = run_period(period)
        except DomainError as exc:
            problem = exc.to_problem()
            raise click.ClickException(" ".join([exc.detail, *(
                f"{k}: {v}" for k, v in problem.items() if k not in
                ("type", "title", "status", "detail"))])) from exc
        for name, count in result.items():
            click.echo(f"{name}: {count}")

    app.cli.add_command(payments)
    app.cli.add_command(revenue)
