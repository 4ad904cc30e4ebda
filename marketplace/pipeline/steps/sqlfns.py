"""GB/T 37964-2019 de-identification and text normalisation as vectorised DuckDB expressions.

Each builder mirrors a pure function of :mod:`marketplace.pipeline.desensitise` (the tests hold
them equal on random data) and returns a sqlglot expression; constants are literals, the secret
only ever a bound parameter (``$elx_ipad``/``$elx_opad``), so no value becomes SQL text.

* :func:`keyed_hash` — HMAC-SHA256 (RFC 2104 / FIPS 198-1) in SQL:
  ``sha256((K⊕opad) ‖ unhex(sha256((K⊕ipad) ‖ m)))`` with the padded keys precomputed by
  :func:`hmac_keys`; ``m`` is the UTF-8 of the value's VARCHAR form.
* :func:`token` — ``"tok_"`` + base32 (RFC 4648 alphabet, lower case) of the first 15 bytes of
  the HMAC of ``label ‖ m``, built from three 40-bit ``to_base(…, 32)`` chunks.
* :func:`mask`, :func:`age_band`, :func:`number_bucket` (exact DECIMAL arithmetic),
  :func:`date_to_month`, :func:`date_to_year`, :func:`address_to_district` (the same pattern as
  the Python one, with the Han-character class spelled out for RE2, which has no lookahead).
"""

from __future__ import annotations

import hashlib
from decimal import Decimal

from sqlglot import exp

from marketplace.pipeline import desensitise

from .base import CompileContext, fn
from .types import datatype, decimal_scale, kind

__all__ = ["BLOCK", "WHITESPACE", "address_to_district", "age_band", "date_to_month",
           "date_to_year", "halfwidth", "hmac_hex", "hmac_keys", "iso_date", "keyed_hash",
           "mask", "number_bucket", "s", "token", "trim"]

BLOCK = 64  # SHA-256 block size in bytes (FIPS 180-4)
TOKEN_LABEL = b"elx/tokenise/v1\x00"  # desensitise._TOKEN_LABEL
_B32_FROM = "0123456789abcdefghijklmnopqrstuv"  # to_base(…, 32) digits
_B32_TO = "abcdefghijklmnopqrstuvwxyz234567"  # RFC 4648 §6, lower case
WHITESPACE = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())  # what str.strip strips
_FULL = "".join(chr(c) for c in range(0xFF01, 0xFF5F)) + "\u3000"
_HALF = "".join(chr(c) for c in range(0x21, 0x7F)) + " "


def _case(whens: list[tuple[exp.Expression, exp.Expression]], default: exp.Expression
          ) -> exp.Case:
    return exp.Case(ifs=[exp.If(this=a, true=b) for a, b in whens], default=default)


def s(text: str) -> exp.Literal:
    return exp.Literal.string(text)


def n(number: int | str) -> exp.Literal:
    return exp.Literal.number(number)


def han_except(excluded: str) -> str:
    """An RE2 class of CJK Unified Ideographs U+4E00-U+9FFF minus ``excluded``."""
    ranges, start = [], 0x4E00
    for cp in sorted({ord(c) for c in excluded}):
        if start <= cp - 1:
            ranges.append((start, cp - 1))
        start = cp + 1
    ranges.append((start, 0x9FFF))
    return "[" + "".join(f"\\x{{{a:x}}}-\\x{{{b:x}}}" for a, b in ranges) + "]"


def hmac_keys(secret: bytes) -> tuple[bytes, bytes]:
    """(K⊕ipad, K⊕opad) of RFC 2104 §2 for SHA-256; keys longer than a block are hashed."""
    key = hashlib.sha256(secret).digest() if len(secret) > BLOCK else secret
    key = key.ljust(BLOCK, b"\x00")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def hmac_hex(data: exp.Expression, ctx: CompileContext) -> exp.Expression:
    """Lower-case hex HMAC-SHA256 of the BLOB ``data`` under the bound secret."""
    inner = fn("sha256", exp.DPipe(this=exp.Placeholder(this=ctx.ipad), expression=data))
    return fn("sha256", exp.DPipe(this=exp.Placeholder(this=ctx.opad),
                                  expression=fn("unhex", inner)))


def text(value: exp.Expression) -> exp.Expression:
    return exp.Cast(this=value, to=datatype("VARCHAR"))


def keyed_hash(value: exp.Expression, ctx: CompileContext) -> exp.Expression:
    return hmac_hex(fn("encode", text(value)), ctx)


def token(value: exp.Expression, ctx: CompileContext) -> exp.Expression:
    label = fn("unhex", s(TOKEN_LABEL.hex()))
    digest = hmac_hex(exp.DPipe(this=label, expression=fn("encode", text(value))), ctx)
    out: exp.Expression = s("tok_")
    for j in range(3):
        chunk = exp.Cast(this=exp.DPipe(this=s("0x"), expression=fn(
            "substr", digest, n(1 + 10 * j), n(10))), to=datatype("BIGINT"))
        digits = fn("translate", fn("lower", fn("to_base", chunk, n(32), n(8))),
                    s(_B32_FROM), s(_B32_TO))
        out = exp.DPipe(this=out, expression=digits)
    return _case([(exp.Is(this=value, expression=exp.Null()), exp.null())], out)


def mask(value: exp.Expression, keep_first: int, keep_last: int, char: str) -> exp.Expression:
    """desensitise.mask: at least one character is masked, kept parts shrink to allow it."""
    v = text(value)
    length = fn("length", v)
    last = fn("greatest", n(0), fn("least", n(keep_last), length - n(1 + keep_first)))
    first = fn("greatest", n(0), fn("least", n(keep_first), length - n(1) - last))
    return exp.DPipe(this=exp.DPipe(
        this=fn("substring", v, n(1), first),
        expression=fn("repeat", s(char), length - first - last)),
        expression=fn("substring", v, length - last + n(1), last))


def date_to_month(value: exp.Expression) -> exp.Expression:
    return fn("strftime", value, s("%Y-%m"))


def date_to_year(value: exp.Expression) -> exp.Expression:
    return fn("strftime", value, s("%Y"))


def age_band(value: exp.Expression, type_: str, width: int) -> exp.Expression:
    """desensitise.age_band for a number; a negative age gives NULL (Python raises)."""
    whole = value if kind(type_) == "integer" else fn("floor", value)
    low = exp.TryCast(this=whole, to=datatype("BIGINT"))
    start = exp.IntDiv(this=low, expression=n(width)) * n(width)
    band = exp.DPipe(this=exp.DPipe(this=text(start), expression=s("-")),
                     expression=text(start + n(width - 1)))
    return _case([(low < n(0), exp.null())], band)


def bucket_scale(type_: str, width: Decimal) -> int:
    scale = max(0, -width.normalize().as_tuple().exponent)  # type: ignore[operator]
    family = kind(type_)
    return max(scale, decimal_scale(type_) if family == "decimal" else 6 * (family == "float"))


def number_bucket(value: exp.Expression, type_: str, width: Decimal) -> exp.Expression:
    """desensitise.number_bucket, ``"[low, high)"``, in DECIMAL(38, s) arithmetic (exact for
    integer and decimal columns; floats are first rounded to 6 decimals)."""
    scale = bucket_scale(type_, width)
    dec = datatype(f"DECIMAL(38,{scale})")
    x = exp.TryCast(this=value, to=dec)
    w = exp.Cast(this=s(format(width, "f")), to=dec)
    low = x - exp.Mod(this=exp.Paren(this=exp.Mod(this=x, expression=w) + w), expression=w)

    def fmt(e: exp.Expression) -> exp.Expression:
        out = text(e)
        return fn("regexp_replace", out, s(r"\.?0+$"), s("")) if scale else out

    return exp.DPipe(this=exp.DPipe(this=exp.DPipe(this=exp.DPipe(
        this=s("["), expression=fmt(low)), expression=s(", ")),
        expression=fmt(low + w)), expression=s(")"))


_NAME = han_except("省市区县州盟旗路街道镇乡村号巷弄栋楼室园")  # desensitise._NAME
ADDRESS = (f"^(?:(?:北京|天津|上海|重庆)市|{_NAME}{{2,8}}?(?:省|自治区))?"
           f"(?:{_NAME}{{1,8}}?(?:市|自治州|地区|盟))?({_NAME}{{1,9}}?[区县市旗])")


def address_to_district(value: exp.Expression) -> exp.Expression:
    v = trim(value)
    whole = fn("regexp_extract", v, s(ADDRESS), n(0))
    unit = fn("regexp_extract", v, s(ADDRESS), n(1))
    unit = fn("replace", unit, s("罗江县"), s("罗江区"))  # desensitise._RENAMED
    deyang = exp.In(this=unit, expressions=[s(d) for d in desensitise.DEYANG_DISTRICTS])
    return _case([(exp.EQ(this=whole, expression=s("")), exp.null()), (deyang, unit.copy())],
                 whole.copy())


def trim(value: exp.Expression) -> exp.Expression:
    """``str.strip()``: leading and trailing Unicode whitespace removed."""
    return fn("trim", value, s(WHITESPACE))


def halfwidth(value: exp.Expression) -> exp.Expression:
    """Full-width ASCII forms U+FF01-U+FF5E and U+3000 → their ASCII counterparts (the
    NFKC mapping restricted to the ASCII range).  ``translate`` is slow, so it runs only on
    values that hold such a character."""
    wide = fn("regexp_matches", value, s(r"[\x{ff01}-\x{ff5e}\x{3000}]"))
    return _case([(wide, fn("translate", value, s(_FULL), s(_HALF)))], value.copy())


_DATE = r"^([0-9]{4})[-/.年]([0-9]{1,2})[-/.月]([0-9]{1,2})日?$"


def iso_date(value: exp.Expression) -> exp.Expression:
    """A whole value ``YYYY-M-D`` / ``YYYY/MM/DD`` / ``YYYY.M.D`` / ``YYYY年M月D日`` naming a
    real calendar date → ``YYYY-MM-DD``; anything else unchanged."""
    parsed = fn("try_strptime", fn("regexp_replace", value, s(_DATE), s(r"\1-\2-\3")),
                s("%Y-%m-%d"))
    iso = fn("coalesce", fn("strftime", parsed, s("%Y-%m-%d")), value)
    return _case([(fn("regexp_matches", value, s(_DATE)), iso)], value.copy())
