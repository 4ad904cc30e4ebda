"""The provider's charges, fetched before any database work of the reconciliation (issue 6 §4).

Listing charges calls the provider page by page. Done lazily inside the reconciliation, every
page was fetched while its transaction was open — holding the temporary table, a snapshot on
PostgreSQL and, on SQLite (``BEGIN IMMEDIATE``), the database's write lock, for as long as the
provider took. :func:`fetch` instead ends the session's transaction, then drains the provider's
list into a temporary file (one JSON line per charge: memory stays flat however many there are;
small lists stay in memory), and the reconciliation reads the file back afterwards.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import fields
from types import TracebackType
from typing import IO

from marketplace.db import db
from marketplace.payments.gateway import ProviderCharge

IN_MEMORY_BYTES = 1 << 20
FIELDS = tuple(f.name for f in fields(ProviderCharge))


class Spool:
    """Spooled charges: iterable (again and again), closed by ``with`` or :meth:`close`."""

    def __init__(self, file: IO[str], count: int) -> None:
        self._file, self.count = file, count

    def __iter__(self) -> Iterator[ProviderCharge]:
        self._file.seek(0)
        for line in self._file:
            yield ProviderCharge(*json.loads(line))

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, _t: type[BaseException] | None, _e: BaseException | None,
                 _tb: TracebackType | None) -> None:
        self.close()


def fetch(charges: Iterable[ProviderCharge]) -> Spool:
    """Every charge of ``charges`` (a lazy provider list), fetched with no database
    transaction open. The session's transaction is ended first: callers only read."""
    db.session.rollback()
    file = tempfile.SpooledTemporaryFile(max_size=IN_MEMORY_BYTES, mode="w+",  # noqa: SIM115
                                         encoding="utf-8")
    count = 0
    try:
        for charge in charges:
            row = [getattr(charge, name) for name in FIELDS]
            file.write(json.dumps(row, separators=(",", ":")) + "\n")
            count += 1
    except BaseException:
        file.close()
        raise
    return Spool(file, count)  # type: ignore[arg-type]
