"""``flask --app marketplace …`` commands: schema migrations and the demo world."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from marketplace.db import db


def register(app: Flask) -> None:
    db_group = AppGroup("db", help="Database schema (Alembic migrations).")

    @db_group.command("upgrade")
    def upgrade() -> None:
        """Create or update the schema to the latest migration."""
        from marketplace.migrate import upgrade as run_upgrade

        run_upgrade(db.engine)
        click.echo("schema is at head")

    @db_group.command("revision")
    @click.option("-m", "--message", required=True)
    def revision(message: str) -> None:
        """Autogenerate a migration from the models (for developers)."""
        from marketplace.migrate import revision as make_revision

        make_revision(db.engine, message)

    demo_group = AppGroup("demo", help="The demo world (idempotent).")

    @demo_group.command("load")
    @click.option("--rows", default=2000, show_default=True, help="Rows per demo asset.")
    def load(rows: int) -> None:
        """Load the demo organisations, users and assets (safe to run again)."""
        from marketplace.demo_seed import load_demo_world

        summary = load_demo_world(rows=rows)
        for line in summary:
            click.echo(line)

    from marketplace.elements.cli import register as register_elements

    register_elements(app)
    app.cli.add_command(db_group)
    app.cli.add_command(demo_group)
