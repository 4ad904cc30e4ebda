"""``python -m ledger`` — the offline RFC 9162 / C2SP log verifier; see :mod:`ledger.cli`."""

from __future__ import annotations

from ledger.cli import main

raise SystemExit(main())
