"""De-identification techniques of GB/T 37964-2019 (个人信息去标识化指南, §A.2-A.4) as pure,
deterministic functions of one value; ``None`` passes through every one of them.

* masking (屏蔽): :func:`mask`;  suppression (抑制): :func:`suppress`;
* keyed cryptographic hashing (密码技术 — HMAC-SHA256, RFC 2104 / FIPS 198-1): :func:`keyed_hash`;
* tokenisation (令牌化, with an optional vault): :func:`tokenise`;
* generalisation (泛化): :func:`date_to_month`, :func:`date_to_year`, :func:`age_band`,
  :func:`number_bucket`, :func:`address_to_district`, :func:`birth_date_from_resident_id`.

Generalisers also accept their own output (``date_to_year("2024-03") == "2024"``,
``age_band("20-24", 10) == "20-29"``), so a coarser level can be computed from a finer one;
a value that cannot be generalised raises ``ValueError`` (never a silent guess).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import math
import re
from collections.abc import MutableMapping
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from .checksums import is_valid_resident_id

__all__ = [
    "DEYANG_DISTRICTS", "address_to_district", "age_band", "birth_date_from_resident_id",
    "date_to_month", "date_to_year", "keyed_hash", "mask", "number_bucket", "suppress",
    "tokenise",
]

T = TypeVar("T")
MIN_SECRET = 16
_TOKEN_LABEL = b"elx/tokenise/v1\x00"
_DATE = re.compile(
    r"\s*([0-9]{4})(?:([0-9]{2})([0-9]{2})|[-/.年]([0-9]{1,2})(?:[-/.月]([0-9]{1,2})日?|月)?+)?"
    r"(?![0-9])"
)
_BAND = re.compile(r"(\d+)-(\d+)")
_BUCKET = re.compile(r"\[(-?[\d.]+), (-?[\d.]+)\)")
# Deyang's county-level units (GB/T 2260); 罗江县 became 罗江区 in 2017.
DEYANG_DISTRICTS = ("旌阳区", "罗江区", "广汉市", "什邡市", "绵竹市", "中江县")
_RENAMED = {"罗江县": "罗江区"}
_NAME = r"(?:(?![省市区县州盟旗路街道镇乡村号巷弄栋楼室园])[\u4e00-\u9fff])"
_ADDRESS = re.compile(
    rf"(?:(?:北京|天津|上海|重庆)市|{_NAME}{{2,8}}?(?:省|自治区))?"
    rf"(?:{_NAME}{{1,8}}?(?:市|自治州|地区|盟))?"
    rf"({_NAME}{{1,9}}?[区县市旗])"
)


def mask(value: str | None, keep_first: int = 0, keep_last: int = 0, char: str = "*") -> str | None:
    """Replace all but the first ``keep_first`` and last ``keep_last`` characters with ``char``
    (length preserved).  At least one character is always masked: when the kept parts would
    cover the value, ``keep_last`` and then ``keep_first`` shrink (``mask("张三", 1, 1)`` →
    ``"张*"``)."""
    if value is None:
        return None
    if keep_first < 0 or keep_last < 0 or len(char) != 1:
        raise ValueError("keep counts must be >= 0 and char a single character")
    n = len(value)
    keep_last = max(0, min(keep_last, n - 1 - keep_first))
    keep_first = max(0, min(keep_first, n - 1 - keep_last))
    return value[:keep_first] + char * (n - keep_first - keep_last) + value[n - keep_last :]


def _bytes(value: object) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode("utf-8")


def _check_secret(secret: bytes) -> None:
    if not isinstance(secret, bytes) or len(secret) < MIN_SECRET:
        raise ValueError(f"secret must be at least {MIN_SECRET} bytes")


def keyed_hash(value: object, secret: bytes) -> str | None:
    """Hex HMAC-SHA256 of ``value`` (its UTF-8 ``str()``; bytes as they are) under ``secret``.
    Equal values hash equal under one secret, so joins inside an element still work; without
    the secret nobody can test guesses (an ID number has only ~10^10 plausible values)."""
    if value is None:
        return None
    _check_secret(secret)
    return hmac.new(secret, _bytes(value), hashlib.sha256).hexdigest()


def tokenise(
    value: object, secret: bytes, vault: MutableMapping[str, str] | None = None
) -> str | None:
    """A deterministic surrogate ``tok_`` + 24 base32 characters (120 bits of an HMAC-SHA256
    under a separate domain label).  Unlike :func:`keyed_hash` it is short and typed-looking,
    never equal to a keyed hash of the same value (so the two columns cannot be linked), and
    reversible by whoever holds ``vault`` (token → original), which records each mapping."""
    if value is None:
        return None
    _check_secret(secret)
    digest = hmac.new(secret, _TOKEN_LABEL + _bytes(value), hashlib.sha256).digest()
    token = "tok_" + base64.b32encode(digest[:15]).decode("ascii").lower()
    if vault is not None:
        original = value.decode("utf-8") if isinstance(value, bytes) else str(value)
        if vault.setdefault(token, original) != original:
            raise ValueError("token collision in vault")
    return token


def _parse_date(value: object) -> tuple[int, int | None, int | None]:
    if isinstance(value, dt.date):
        return value.year, value.month, value.day
    m = _DATE.match(str(value))
    if not m:
        raise ValueError(f"not a date: {value!r}")
    year, month, day = int(m[1]), m[2] or m[4], m[3] or m[5]
    if day is not None:
        dt.date(year, int(month), int(day))  # raises ValueError for impossible dates
    elif month is not None and not 1 <= int(month) <= 12:
        raise ValueError(f"bad month in {value!r}")
    return year, None if month is None else int(month), None if day is None else int(day)


def date_to_month(value: object) -> str | None:
    """A date (or ``YYYY-MM[-DD…]``, ``YYYY/MM/DD``, ``YYYYMMDD``, ``YYYY年M月[D日]``) →
    ``"YYYY-MM"``."""
    if value is None:
        return None
    year, month, _ = _parse_date(value)
    if month is None:
        raise ValueError(f"{value!r} is coarser than a month")
    return f"{year:04d}-{month:02d}"


def date_to_year(value: object) -> str | None:
    """A date (any form :func:`date_to_month` takes, or a bare year) → ``"YYYY"``."""
    return None if value is None else f"{_parse_date(value)[0]:04d}"


def age_band(age: int | str | None, width: int = 10) -> str | None:
    """``age_band(27) == "20-29"``; a band string that fits inside one band is re-banded."""
    if age is None:
        return None
    if width < 1 or isinstance(age, bool):
        raise ValueError("width must be >= 1 and age a number")
    if isinstance(age, str) and (m := _BAND.fullmatch(age)):
        low, high = int(m[1]), int(m[2])
    else:
        low = high = math.floor(float(age))
    if low < 0 or high < low or low // width != high // width:
        raise ValueError(f"{age!r} does not fit in one band of width {width}")
    start = low // width * width
    return f"{start}-{start + width - 1}"


def _fmt(d: Decimal) -> str:
    return format(d.normalize(), "f") if d else "0"


def number_bucket(x: object, width: object) -> str | None:
    """``number_bucket(123, 100) == "[100, 200)"``: the half-open interval of ``width`` that
    holds ``x`` (exact decimal arithmetic); a bucket string inside one bucket is re-bucketed."""
    if x is None:
        return None
    try:
        w = Decimal(str(width))
        if isinstance(x, str) and (m := _BUCKET.fullmatch(x)):
            low, high = Decimal(m[1]), Decimal(m[2])
        else:
            low = high = Decimal(str(x))
        if not (w.is_finite() and w > 0 and low.is_finite() and high.is_finite()):
            raise ValueError
    except (InvalidOperation, ValueError):
        raise ValueError(f"cannot bucket {x!r} by {width!r}") from None
    start = math.floor(low / w) * w
    if high > start + w:
        raise ValueError(f"{x!r} does not fit in one bucket of width {width!r}")
    return f"[{_fmt(start)}, {_fmt(start + w)})"


def birth_date_from_resident_id(value: str | None) -> dt.date | None:
    """The birth date (GB 11643-1999 §5.2, characters 7-14) of a valid resident ID."""
    if value is None:
        return None
    if not is_valid_resident_id(value):
        raise ValueError("not a valid GB 11643-1999 resident ID")
    return dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))


def address_to_district(address: str | None) -> str | None:
    """Cut an address after its first county-level unit (区/县/市/旗), skipping a leading
    province (省/自治区/直辖市) and prefecture (市/自治州/地区/盟): ``"四川省成都市武侯区…"`` →
    ``"四川省成都市武侯区"``.  Deyang's districts (:data:`DEYANG_DISTRICTS`) come back as the
    bare name (``"德阳市旌阳区…"`` and ``"旌阳区…"`` → ``"旌阳区"``) so they group together.
    The address must start with such a unit (a street alone gives None); a prefecture-level
    city with no county after it is kept whole (``"四川省德阳市"``), which is coarser."""
    if address is None:
        return None
    m = _ADDRESS.match(address.strip())
    if not m:
        return None
    unit = _RENAMED.get(m[1], m[1])
    return unit if unit in DEYANG_DISTRICTS else m[0]


def suppress(value: T | None) -> None:
    """Suppression: the value is removed."""
    return None
