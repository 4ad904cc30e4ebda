"""Deterministic demo data of a Chinese city (Deyang, Sichuan) — pure: no Flask, no service.

Datasets (``DATASETS``): ``enterprises`` 企业登记, ``utility_readings`` 水电气,
``parking`` 智慧停车, ``hotline`` 12345热线工单.  Every string encodes in GBK.

    table = generate("hotline", 1000, seed=20261122)   # Table(columns, rows iterator)
    write_csv(table, "hotline.csv", encoding="gbk")      # -> bytes written
    write_jsonl(generate("parking", 500), "parking.jsonl")

Command line: ``python -m marketplace.demo --dataset hotline --rows N --encoding gbk --out F``
(or ``--bytes 1G`` to stop at about that size).  Validators for PII detection:
``is_valid_uscc`` (GB 32100-2015) and ``is_valid_resident_id`` (GB 11643-1999).
"""

from __future__ import annotations

from .codes import (
    is_valid_org_code,
    is_valid_resident_id,
    is_valid_uscc,
    make_resident_id,
    make_uscc,
    resident_id_check_char,
    uscc_check_char,
)
from .table import Column, DatasetSpec, Table, write_csv, write_jsonl

_GENERATOR = ("DATASETS", "DEFAULT_SEED", "generate")


def __getattr__(name: str) -> object:
    """The generators (and Faker, ~20 MB) load on first use (PEP 562): the web app imports the
    checksum validators from here and never generates."""
    if name in _GENERATOR:
        from . import generator

        return getattr(generator, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "DATASETS",
    "DEFAULT_SEED",
    "Column",
    "DatasetSpec",
    "Table",
    "generate",
    "is_valid_org_code",
    "is_valid_resident_id",
    "is_valid_uscc",
    "make_resident_id",
    "make_uscc",
    "resident_id_check_char",
    "uscc_check_char",
    "write_csv",
    "write_jsonl",
]
