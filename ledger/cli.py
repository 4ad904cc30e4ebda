"""``python -m ledger``: verify logs, exports and receipts offline; export a log; make a key.

Logs are RFC 9162 §2.1 Merkle logs with C2SP tlog-checkpoint notes signed per C2SP signed-note
(Ed25519); keys are given as signed-note verifier keys.

Exit status: 0 verified, 1 verification failed (the message names the first bad entry),
2 usage or input errors (unreadable file, bad key, unreachable database).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from ledger import VerificationError
from ledger.export import write_export
from ledger.export_verify import verify_export
from ledger.keys import verifiers_from_vkeys, write_new_signer
from ledger.note_keys import Verifier
from ledger.receipt import verify_receipt
from ledger.transactions import snapshot
from ledger.verify import verify_url
from ledger.walker import VerifyReport

__all__ = ["build_parser", "main"]

EPILOG = """\
examples:
  python -m ledger verify sqlite:///var/elx.db --key 'elx.example/log+1a2b3c4d+AV...'
  python -m ledger export postgresql+psycopg://elx@db/elx ledger.jsonl
  python -m ledger verify ledger.jsonl --key @published-keys.txt
  python -m ledger verify-receipt receipt.json --key 'elx.example/log+1a2b3c4d+AV...'
  python -m ledger keygen elx.example/log var/ledger-key.pem

A --key value is a signed-note verifier key NAME+KEYID+BASE64, or @FILE with one per line.
Without --key, `verify` trusts the log keys the log itself publishes (and says so).
"""


def _keys(values: Sequence[str] | None) -> list[Verifier] | None:
    if not values:
        return None
    vkeys: list[str] = []
    for value in values:
        if value.startswith("@"):
            lines = Path(value[1:]).read_text().splitlines()
            vkeys += [line.strip() for line in lines if line.strip()]
        else:
            vkeys.append(value)
    return verifiers_from_vkeys(vkeys)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ledger",
        description="Verify and export elx's signed, tamper-evident ledger (RFC 9162 Merkle "
        "log, C2SP signed checkpoints). Needs no running service.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "verify",
        help="check every entry, chain link, digest, hash, checkpoint and signature",
        description="Recompute every leaf hash, chain link, payload digest, stored subtree "
        "hash (database) and checkpoint root, and check every signature. Reports the first "
        "inconsistent entry and exits 1.",
    )
    p.add_argument("source", metavar="EXPORT_OR_DBURL", help="an export file or a database URL")
    p.add_argument("--key", action="append", metavar="VKEY", help="trusted verifier key")
    p.add_argument("--origin", help="the log origin the checkpoints must name")
    p.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="processes for a database (default: one per CPU, each for at least 65,536 entries)",
    )

    p = sub.add_parser(
        "verify-receipt",
        help="verify an entry receipt offline",
        description="Check a receipt's entry, payload digest, inclusion proof, checkpoint "
        "signature and origin, with no database and no network.",
    )
    p.add_argument("receipt", metavar="RECEIPT", help="receipt JSON file ('-' for stdin)")
    p.add_argument("--key", action="append", required=True, metavar="VKEY", help="trusted key")
    p.add_argument("--origin", help="the log origin the receipt must name")

    p = sub.add_parser("export", help="write a log to a JSON Lines file")
    p.add_argument("dburl", metavar="DBURL", help="SQLAlchemy database URL")
    p.add_argument("out", metavar="OUT", help="output file ('-' for stdout)")

    p = sub.add_parser("keygen", help="create an Ed25519 log key (PEM, mode 0600)")
    p.add_argument("name", metavar="NAME", help="key name, conventionally the log origin")
    p.add_argument("out", metavar="OUT.pem", help="new file (never overwritten)")
    return parser


def _describe(report: VerifyReport) -> str:
    text = (
        f"OK: {report.origin or '(no origin)'}: {report.size} entries, "
        f"{report.checkpoints} signed checkpoints, {report.stored_nodes} stored subtree hashes, "
        f"{report.keys} published keys; root {report.root_hash.hex()}"
    )
    if report.keys_from_log:
        text += "\nnote: no --key given; trusted the log keys the log itself publishes"
    return text


def _run(args: argparse.Namespace) -> str:
    if args.command == "keygen":
        return write_new_signer(args.out, args.name).vkey
    if args.command == "export":
        with snapshot(args.dburl) as conn:
            if args.out == "-":
                size, count = write_export(conn, sys.stdout)
            else:
                with open(args.out, "w", encoding="utf-8") as out:
                    size, count = write_export(conn, out)
        print(f"exported {size} entries and {count} checkpoints", file=sys.stderr)
        return ""
    trusted = _keys(args.key)
    if args.command == "verify-receipt":
        text = sys.stdin.read() if args.receipt == "-" else Path(args.receipt).read_text()
        entry = verify_receipt(json.loads(text), trusted or [], args.origin)
        return f"OK: entry {entry.index} ({entry.kind} {entry.subject}) is in the log"
    if "://" in args.source:
        return _describe(verify_url(args.source, trusted, args.origin, jobs=args.jobs))
    with open(args.source, "rb") as lines:
        return _describe(verify_export(lines, trusted, args.origin))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        message = _run(args)
    except VerificationError as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    except (OSError, ValueError, SQLAlchemyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if message:
        print(message)
    return 0
