"""The ``element`` section of the pipeline spec: what the data element says about itself.

Title and description; column descriptions; the quasi-identifiers and ``k`` that the
``k_anonymity`` step enforces; and the columns the merchant declares as licensed personal data,
each with its legal basis under PIPL (个人信息保护法, 2021) Article 13 — the only way an output
that still holds direct identifiers may be published (issue 4 §3).
"""

from __future__ import annotations

from dataclasses import dataclass

from . import reader as r
from .types import Schema

__all__ = ["LEGAL_BASES", "ElementSettings", "LicensedColumn", "parse_settings"]

# PIPL Art. 13 (1)-(7): consent; contract or HR management; statutory duty; public health
# emergency or protection of life and property; news reporting in the public interest;
# information already lawfully made public; other grounds provided by law.
LEGAL_BASES = ("consent", "contract", "legal_obligation", "emergency", "public_interest_news",
               "already_public", "other_law")


@dataclass(frozen=True)
class LicensedColumn:
    column: str
    legal_basis: str
    note: str = ""


@dataclass(frozen=True)
class ElementSettings:
    title: str
    description: str = ""
    column_descriptions: tuple[tuple[str, str], ...] = ()
    quasi_identifiers: tuple[str, ...] = ()
    k: int | None = None
    licensed_personal_data: tuple[LicensedColumn, ...] = ()

    def check(self, schema: Schema) -> None:
        """Every column named here must be an output column."""
        for c, _ in self.column_descriptions:
            schema.type_of(c, f"element.column_descriptions.{c}")
        for i, x in enumerate(self.licensed_personal_data):
            schema.type_of(x.column, f"element.licensed_personal_data.{i}.column")


def parse_settings(raw: object, path: str) -> ElementSettings:
    keys = ("description", "column_descriptions", "quasi_identifiers", "k",
            "licensed_personal_data")
    doc = r.obj(raw, path, required=("title",), optional=keys)
    title = r.string(doc["title"], r.join(path, "title"), max_len=200)
    description = r.string(doc.get("description", ""), r.join(path, "description"),
                           max_len=10_000, min_len=0)
    p = r.join(path, "column_descriptions")
    descriptions = doc.get("column_descriptions", {})
    if not isinstance(descriptions, dict) or len(descriptions) > 1024:
        raise r.SpecError(p, "Must be an object with at most 1024 entries.")
    described = tuple((r.name(c, f"{p}.{c}"), r.string(d, f"{p}.{c}", max_len=2000, min_len=0))
                      for c, d in descriptions.items())
    qis = (r.names(doc["quasi_identifiers"], r.join(path, "quasi_identifiers"), max_len=16)
           if "quasi_identifiers" in doc else ())
    k = r.integer(doc["k"], r.join(path, "k"), 2, 1000) if "k" in doc else None
    if bool(qis) != (k is not None):
        raise r.SpecError(r.join(path, "k"), "Give both quasi_identifiers and k, or neither.")
    p = r.join(path, "licensed_personal_data")
    licensed = []
    for i, item in enumerate(r.array(doc.get("licensed_personal_data", []), p, min_len=0)):
        q = f"{p}.{i}"
        entry = r.obj(item, q, required=("column", "legal_basis"), optional=("note",))
        licensed.append(LicensedColumn(
            r.name(entry["column"], f"{q}.column"),
            r.choice(entry["legal_basis"], f"{q}.legal_basis", LEGAL_BASES),
            r.string(entry.get("note", ""), f"{q}.note", max_len=2000, min_len=0)))
    return ElementSettings(title, description, described, qis, k, tuple(licensed))
