"""Books for the auditor page tests: paid orders, a partial refund and a sale by a merchant whose
name needs CSV quoting, all through the real API (fake payments gateway); and a small reader of
HTML tables (stdlib only) so tests assert on the numbers a person sees."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from tests.api.listing_world import build_element, listed
from tests.api.order_world import order
from tests.api.payment_world import paid_order, pay, refund
from tests.api.world import World, build_world

QUOTED_NAME = '德阳"云,数"科技 <有限> 公司'
AUDIT_PAGES = ("/audit/trial-balance", "/audit/journal", "/audit/journal.csv",
               "/audit/reconciliation", "/audit/statements")


def build_books(app: Any) -> World:
    """build_world's people, then: two sales of org A (100.00 and 250.00 yuan), a 20.00 refund
    of the first, and a 300.00 sale by ``quoted`` (admin of an org named ``QUOTED_NAME``)."""
    world = build_world(app)
    first = paid_order(world, 10_000)
    world.sale_ids = [first["id"], paid_order(world, 25_000)["id"]]  # type: ignore[attr-defined]
    assert refund(world, first["id"], 2_000).status_code == 201
    quoted = world.register("quoted")
    world.org(quoted, QUOTED_NAME, "data_developer")
    element = build_element(world, actor="quoted", title="云数统计")
    lst = listed(world, element["element_id"], actor="quoted",
                 plans=[{"kind": "one_off", "price_fen": 30_000}])
    placed = order(world, lst["id"], lst["plans"][0]["id"])
    assert pay(world, placed["id"]).status_code == 200
    world.sale_ids.append(placed["id"])  # type: ignore[attr-defined]
    return world


class _Tables(HTMLParser):
    """Table rows inside the element with a given id (a table, or a section holding tables)."""

    def __init__(self, element_id: str) -> None:
        super().__init__()
        self.element_id, self.tag, self.depth = element_id, "", 0
        self.rows: list[list[str]] = []
        self.row: list[str] | None = None
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self.depth and dict(attrs).get("id") == self.element_id:
            self.tag, self.depth = tag, 1
        elif self.depth and tag == self.tag:
            self.depth += 1
        if self.depth and tag == "tr":
            self.row = []
        elif self.depth and tag in ("td", "th") and self.row is not None:
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if self.depth and tag in ("td", "th") and self.row is not None and self.cell is not None:
            self.row.append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif self.depth and tag == "tr" and self.row is not None:
            self.rows.append(self.row)
            self.row = None
        if self.depth and tag == self.tag:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def table_rows(html: str, element_id: str) -> list[list[str]]:
    """Every table row (header, body, footer) inside ``#element_id``, as cell texts."""
    parser = _Tables(element_id)
    parser.feed(html)
    assert parser.rows, f"no table rows in #{element_id}"
    return parser.rows


def fen(text: str) -> int:
    """``¥1,234.56`` / ``-¥0.10`` → fen."""
    sign = -1 if text.startswith("-") else 1
    whole, _, part = text.lstrip("-").lstrip("¥").replace(",", "").partition(".")
    return sign * (int(whole) * 100 + int(part or 0))
