"""``python -m ledger`` — see :mod:`ledger.cli`."""

from __future__ import annotations

from ledger.cli import main

raise SystemExit(main())
