"""Check-character algorithms for Chinese identifiers, with validators and generators.

* GB 32100-2015 统一社会信用代码 (USCC): 18 characters over the 31-character set
  ``0-9 A-H J-N P Q R T U W X Y``; character 18 is ``31 - MOD(Σ Ci·Wi, 31)`` (31 → 0) with
  ``Wi = 3^(i-1) mod 31``.  Characters 9-17 are the GB 11714-1997 organisation code, which
  carries its own check character (weights 3,7,9,10,5,8,4,2; ``11 - MOD(Σ, 11)``, 10 → X,
  11 → 0; letters count A=10 … Z=35).
* GB 11643-1999 公民身份号码: 17 digits (area code, YYYYMMDD, sequence) and an ISO 7064
  MOD 11-2 check character: ``"10X98765432"[MOD(Σ Ai·Wi, 11)]``.

``is_valid_uscc`` and ``is_valid_resident_id`` are reused by PII detection: they check the
layout (and, for resident IDs, a real calendar birth date and a known province prefix) as well
as the check character, which keeps false positives on random digit runs low.  A lowercase
``x`` is accepted as the resident-ID check character because people write it that way.
"""

from __future__ import annotations

import datetime as dt
import random
import re

__all__ = [
    "USCC_CHARSET",
    "is_valid_org_code",
    "is_valid_resident_id",
    "is_valid_uscc",
    "make_resident_id",
    "make_uscc",
    "org_code_check_char",
    "resident_id_check_char",
    "uscc_check_char",
]

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {c: i for i, c in enumerate(USCC_CHARSET)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_RE = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}")

_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_RE = re.compile(r"[0-9A-Z]{8}[0-9X]")

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"[0-9]{17}[0-9Xx]")
# GB/T 2260 province-level prefixes, plus 71 Taiwan, 81/82 Hong Kong/Macao, 83 (residence
# permits for Taiwan residents) — the first two digits of every real address code.
_PROVINCES = frozenset((
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
    "65", "71", "81", "82", "83",
))


def uscc_check_char(body: str) -> str:
    """GB 32100-2015 §4.5: the check character for the first 17 characters."""
    if len(body) != 17:
        raise ValueError("USCC body must be 17 characters")
    total = sum(_USCC_VALUE[c] * w for c, w in zip(body, _USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def is_valid_uscc(code: object) -> bool:
    """True if ``code`` is a well-formed USCC whose 18th character checks (GB 32100-2015)."""
    if not isinstance(code, str) or not _USCC_RE.fullmatch(code):
        return False
    return uscc_check_char(code[:17]) == code[17]


def org_code_check_char(body: str) -> str:
    """GB 11714-1997: the check character of an 8-character organisation-code body."""
    if len(body) != 8:
        raise ValueError("organisation-code body must be 8 characters")
    total = sum(int(c, 36) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True))
    value = 11 - total % 11
    return "X" if value == 10 else "0" if value == 11 else str(value)


def is_valid_org_code(code: object) -> bool:
    """True if ``code`` is a 9-character organisation code whose check character matches."""
    if not isinstance(code, str) or not _ORG_RE.fullmatch(code):
        return False
    return org_code_check_char(code[:8]) == code[8]


def make_uscc(prefix: str, admin_code: str, org_body: str) -> str:
    """Assemble a USCC: 2-char prefix (e.g. ``91`` = 工商/企业), 6-digit registration
    authority code, 8-char organisation-code body (its check char is computed), check char."""
    if len(prefix) != 2 or len(admin_code) != 6 or not admin_code.isdigit():
        raise ValueError("prefix must be 2 characters and admin_code 6 digits")
    org = org_body + org_code_check_char(org_body)
    body = prefix + admin_code + org
    if any(c not in _USCC_VALUE for c in body):
        raise ValueError(f"character outside the GB 32100 set in {body!r}")
    return body + uscc_check_char(body)


def resident_id_check_char(body: str) -> str:
    """GB 11643-1999 §5.4 (ISO 7064 MOD 11-2): the check character for 17 digits."""
    if len(body) != 17 or not body.isdigit():
        raise ValueError("resident-ID body must be 17 digits")
    total = sum(int(c) * w for c, w in zip(body, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def is_valid_resident_id(value: object) -> bool:
    """True if ``value`` is an 18-character GB 11643-1999 number: known province prefix,
    a real birth date in 1800-2099, and a matching check character."""
    if not isinstance(value, str) or not _ID_RE.fullmatch(value):
        return False
    if value[:2] not in _PROVINCES:
        return False
    year, month, day = int(value[6:10]), int(value[10:12]), int(value[12:14])
    if not 1800 <= year <= 2099:
        return False
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return resident_id_check_char(value[:17]) == value[17].upper()


def make_resident_id(
    rng: random.Random, area_code: str, birth: dt.date, female: bool | None = None
) -> str:
    """A GB 11643-1999 number for ``area_code`` and ``birth``; the sequence code's last digit
    is odd for men, even for women (§5.3)."""
    if female is None:
        female = rng.random() < 0.5
    seq = rng.randrange(0, 500) * 2 + (0 if female else 1)
    body = f"{area_code}{birth:%Y%m%d}{seq:03d}"
    return body + resident_id_check_char(body)
