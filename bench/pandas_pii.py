"""PII redaction and detection for the pandas implementation (c) of ``pipeline_bench.py``,
written as a data engineer would without elx: Python regexes (pandas hands lookaround-free ones
to pyarrow's RE2), and check characters validated in plain Python.

* :data:`REDACT_PASSES` — the shapes (c) replaces in free text, in the order elx's
  ``redact_pii`` step applies them (emails, the longest numbers first, then mobiles,
  landlines, plates, names in context), with elx's ``[kind]`` labels, grouped under elx's
  cheap necessary tests. Like elx, redaction tests shapes only, without check characters: a
  look-alike is redacted too (the safe direction).
* :func:`find_pii` — what elx's output scan reports: resident IDs (GB 11643-1999: GB/T 2260
  province, calendar birth date, ISO 7064 MOD 11-2), USCCs (GB 32100-2015 and the GB 11714-1997
  organisation code inside), bank cards (Luhn, ISO/IEC 7812 scheme prefix and length, not after
  a 订单号-like label), mobiles, landlines, emails, plates (GA 36-2018) and names in context; a
  number only as a whole ASCII letter/digit run; overlaps resolved leftmost-longest.
  Names are a plain regex version of elx's context rules (trigger + surname + one or two
  characters, or surname + up to two characters before 先生/女士/小姐).

Reference lists (surnames, trigger words, card issuer prefixes) are imported from elx so that
both implementations use the same data; every pattern and algorithm here is written afresh.
"""

from __future__ import annotations

import datetime as dt
import re

from marketplace.pipeline.checksums import CARD_PREFIXES
from marketplace.pipeline.names import COMPOUND_SURNAMES, HONORIFICS, SURNAMES, TRIGGERS

__all__ = ["KINDS", "PREFILTER", "REDACT_PASSES", "find_pii", "luhn_ok", "org_code_ok",
           "resident_id_ok", "uscc_ok"]

KINDS = ("resident_id", "uscc", "bank_card", "mobile", "landline", "email", "plate", "name")
PLATE_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
ID_PROVINCES = frozenset(("11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34",
                          "35", "36", "37", "41", "42", "43", "44", "45", "46", "50", "51", "52",
                          "53", "54", "61", "62", "63", "64", "65", "71", "81", "82", "83"))
HAN = "[一-鿿]"
AREA = r"(?:010|02[0-9]|0[3-9][0-9]{2})"
SURNAME = "(?:" + "|".join(COMPOUND_SURNAMES) + "|[" + "".join(sorted(SURNAMES)) + "])"
EMAIL = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"
CARD = r"[0-9]{13,19}|[0-9]{4}(?:[ -][0-9]{4}){2,3}(?:[ -][0-9]{1,4})?"
MOBILE = r"(?:(?:\+|00)?86[ -]?)?1[3-9][0-9](?:[ -]?[0-9]{4}){2}"
LANDLINE = rf"(?:\({AREA}\)|{AREA})[ -]?[2-9][0-9]{{6,7}}"
USCC = "[1-9ANY][1-9][0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}"
PLATE = f"[{PLATE_PROVINCES}][A-HJ-NP-Z][·・ ]?([A-HJ-NP-Z0-9]{{5,6}})[挂学警]?"

_NAME_WORDS = "|".join((*TRIGGERS, *HONORIFICS))
# (test, passes): each pass is a (pattern, replacement) applied in order, only to the texts that
# match its group's test, a necessary condition for any of the group's patterns to match.
REDACT_PASSES: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("@", ((EMAIL, "[email]"),)),
    ("[0-9]{7}|[0-9]{4}[ -][0-9]{4}", (
        ("[0-9]{17}[0-9Xx]", "[resident_id]"),
        (USCC, "[uscc]"),
        (CARD, "[bank_card]"),
        (MOBILE, "[mobile]"),
        (LANDLINE, "[landline]"))),
    (f"[{PLATE_PROVINCES}][A-HJ-NP-Z]|{_NAME_WORDS}", (
        (PLATE.replace("(", "(?:", 1), "[plate]"),
        (f"({'|'.join(TRIGGERS)})([:：]?[ \t]?){SURNAME}{HAN}{{1,2}}", r"\1\2[name]"),
        (f"{SURNAME}{HAN}{{0,2}}({'|'.join(HONORIFICS)})", r"[name]\1"))),
)
_NOT = "[^0-9A-Za-z]"
# Every text in which find_pii finds something matches this: a number is a whole letter/digit
# run of at most 19 characters starting with 7 of [0-9ANY][0-9]{6}, or has 4 digits, a space or
# hyphen and 4 digits at a run start; else an "@", a province then a capital, a trigger word or
# an honorific. (Long runs such as hex hashes are not candidates.)
PREFILTER = (f"(?:^|{_NOT})(?:[0-9ANY][0-9]{{6}}[0-9A-Za-z]{{0,12}}(?:{_NOT}|\\Z)"
             f"|[0-9]{{4}}[ -][0-9]{{4}})|@|[{PLATE_PROVINCES}][A-HJ-NP-Z]|{_NAME_WORDS}")

_B, _E = "(?<![0-9A-Za-z])", "(?![0-9A-Za-z])"  # a whole ASCII letter/digit run
_RUN = re.compile("[0-9A-Za-z]+")
# (kind, pattern at every run start, lengths the first run of a match can have)
_NUMBERS = tuple((kind, re.compile(f"{_B}(?=({p}){_E})"), lengths) for kind, p, lengths in (
    ("resident_id", "[0-9]{17}[0-9Xx]", {18}), ("uscc", USCC, {18}),
    ("bank_card", CARD, {4, *range(13, 20)}), ("mobile", MOBILE, {2, 3, 4, 7, 11, 13, 15}),
    ("landline", LANDLINE, {3, 4, 10, 11, 12})))
_PLATE = re.compile(f"(?=({PLATE}){_E})")
_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+-])" + EMAIL)
_CARD_LABEL = re.compile(  # a bank card is not reported right after such a label
    r"(?:订单|单|编|流水|工单|发票|合同|批次|序列|运单|快递单|交易)号码?[:：]?\s*$")
_NEW_ENERGY = re.compile(r"[DF][A-HJ-NP-Z0-9][0-9]{4}|[0-9]{5}[DF]")
_AFTER = r"(?:[称说]|反映|来电|先生|女士|小姐|表示|投诉|电话|联系|身份|手机|家住|住在|的)"
_GIVEN = f"(?:(?!{_AFTER}){HAN})"
_SUR = f"(?>{SURNAME})"  # a compound surname is never read as surname + given name
_NAMES = (  # after a trigger, ended by a non-Han character or a word that cannot be a name;
    # inside a lookahead, so that a trigger inside one name can start the next
    re.compile(f"(?=(?:{'|'.join(TRIGGERS)})[:：]?[ \t]?({_SUR}{_GIVEN}{{1,2}})"
               f"(?:(?!{HAN})|(?={_AFTER})))"),
    # before an honorific: from a boundary (or a trigger) the longest, else the surname alone
    re.compile(f"((?:(?<!{HAN})|{'|'.join(f'(?<={t})' for t in TRIGGERS)}){_SUR}{_GIVEN}{{0,2}}"
               f"|{_SUR})(?={'|'.join(HONORIFICS)})"),
)
_RANK = {k: i for i, k in enumerate(KINDS)}


def resident_id_ok(v: str) -> bool:
    """GB 11643-1999: known province, a calendar birth date in 1800-2099, MOD 11-2 check."""
    if v[:2] not in ID_PROVINCES or not 1800 <= int(v[6:10]) <= 2099:
        return False
    try:
        dt.date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        return False
    total = sum(int(c) * pow(2, 17 - i, 11) for i, c in enumerate(v[:17]))
    return "10X98765432"[total % 11] == v[17].upper()


def org_code_ok(code: str) -> bool:
    """GB 11714-1997 organisation code: 8 characters (0-9, A-Z) and a check character."""
    if not re.fullmatch("[0-9A-Z]{8}[0-9X]", code):
        return False
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    check = 11 - sum(int(c, 36) * w for c, w in zip(code[:8], weights, strict=True)) % 11
    return code[8] == {10: "X", 11: "0"}.get(check, str(check))


def uscc_ok(code: str) -> bool:
    """GB 32100-2015 check character, and the organisation code in characters 9-17."""
    chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    total = sum(chars.index(c) * pow(3, i, 31) for i, c in enumerate(code[:17]))
    return chars[(31 - total % 31) % 31] == code[17] and org_code_ok(code[8:17])


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, d in enumerate(map(int, reversed(digits))):
        total += (d * 2 - 9 if d > 4 else d * 2) if i % 2 else d
    return total % 10 == 0


def card_ok(digits: str) -> bool:
    """13-19 digits, Luhn, and an issuer prefix whose scheme issues that length."""
    if not 13 <= len(digits) <= 19 or not luhn_ok(digits):
        return False
    return any(len(digits) in lengths and lo <= int(digits[:len(str(lo))]) <= hi
               for _, ranges, lengths in CARD_PREFIXES for lo, hi in ranges)


def _numbers(text: str) -> list[tuple[str, int, int]]:
    found = []
    for kind, pattern, lengths in _NUMBERS:
        for m in pattern.finditer(text):
            start, value = m.start(), m[1]
            run = _RUN.match(text, start + (text[start] in "+("))
            if run is None or len(run[0]) not in lengths:
                continue
            if kind == "resident_id":
                ok = resident_id_ok(value)
            elif kind == "uscc":
                ok = uscc_ok(value)
            elif kind == "bank_card":
                ok = card_ok(re.sub("[ -]", "", value)) and not _CARD_LABEL.search(
                    text, max(0, start - 12), start)
            else:
                ok = True
            if ok:
                found.append((kind, start, start + len(value)))
    return found


def find_pii(text: str) -> list[tuple[str, int, int]]:
    """Non-overlapping ``(kind, start, end)`` findings in ``text``, in order of position."""
    found = _numbers(text)
    for m in _PLATE.finditer(text):
        serial = m[2]
        if (_NEW_ENERGY.fullmatch(serial) if len(serial) == 6
                else sum(c.isdigit() for c in serial) >= 3):
            found.append(("plate", m.start(), m.start() + len(m[1])))
    if "@" in text:
        for m in _EMAIL.finditer(text):
            tld = m[0].rsplit(".", 1)[1]
            if tld.isalpha() and len(tld) >= 2:
                found.append(("email", m.start(), m.end()))
    found += [("name", m.start(1), m.end(1)) for p in _NAMES for m in p.finditer(text)]
    kept: list[tuple[str, int, int]] = []
    for f in sorted(found, key=lambda f: (f[1], f[1] - f[2], _RANK[f[0]])):
        if not kept or f[1] >= kept[-1][2]:
            kept.append(f)
    return kept
