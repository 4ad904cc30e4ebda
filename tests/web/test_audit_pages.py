"""Auditor pages (issue 8 §6) over real books: paid orders, a refund and a merchant whose name
needs CSV quoting (tests/web/audit_world.py). The numbers on the pages are checked against the
journal's own lines, to the fen; the pages are the auditor's and operator admin's only."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from sqlalchemy import select

from marketplace.db import db
from marketplace.revenue.journal_query import COLUMNS
from marketplace.revenue.models import JournalLine, JournalTransaction, TransactionKind
from tests.api.world import World
from tests.web.audit_world import AUDIT_PAGES, QUOTED_NAME, build_books, fen, table_rows
from tests.web.console import Console, console_for

REFUSED = ("merchant", "member", "rival", "buyer", "rival_buyer", "assessor", "outsider",
           "pending", "quoted")


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Any) -> World:
    from tests.conftest import template_app

    return build_books(template_app(tmp_path_factory, sqlite_template, "audit-pages"))


@pytest.fixture(scope="module")
def auditor(books: World) -> Console:
    return console_for(books.app, books["auditor"].email)


def journal_lines(world: World) -> list[tuple[str, str, str, int, int]]:
    """(kind, reference, account, debit, credit) of every line, straight from the tables."""
    with world.app.app_context():
        return [(k.value, ref, acc, d, c) for k, ref, acc, d, c in db.session.execute(
            select(JournalTransaction.kind, JournalTransaction.reference, JournalLine.account,
                   JournalLine.debit_fen, JournalLine.credit_fen)
            .join(JournalLine, JournalLine.transaction_id == JournalTransaction.id))]


def test_trial_balance_totals_agree_and_the_split_equals_the_postings(
        books: World, auditor: Console) -> None:
    html = auditor.get("/audit/trial-balance").get_data(as_text=True)
    lines = journal_lines(books)
    rows = table_rows(html, "trial-balance")
    total = next(r for r in rows if r[0] == "Total")
    debits, credits = sum(line[3] for line in lines), sum(line[4] for line in lines)
    assert fen(total[1]) == fen(total[2]) == debits == credits == 65_000 + 2_000
    by_account = {r[0]: (fen(r[2]), fen(r[3])) for r in rows[1:] if r[0] != "Total"}
    assert by_account["platform_commission"] == (
        sum(d for _k, _r, a, d, _c in lines if a == "platform_commission"),
        sum(c for _k, _r, a, _d, c in lines if a == "platform_commission"))
    assert "Balanced" in html and 'id="split-chart"' in html and "<svg" in html

    def net(prefix: str) -> int:  # credits − debits of sales and refunds, from the tables
        return sum(c - d for kind, _r, acc, d, c in lines
                   if kind in ("sale", "refund") and acc.startswith(prefix))

    split = table_rows(html, "split-chart")
    shares = dict(zip(split[0], split[-1], strict=True))
    assert split[-1][0] == "Total"
    assert fen(shares["Gross captured"]) == 65_000 and fen(shares["Refunded"]) == 2_000
    assert fen(shares["Merchants"]) == net("merchant_payable:") == 53_550
    assert fen(shares["Platform commission"]) == net("platform_commission") == 6_300
    assert fen(shares["Public-service fund"]) == net("public_service_fund") == 3_150
    assert sum(fen(shares[k]) for k in ("Merchants", "Platform commission",
                                        "Public-service fund",
                                        "Refunds borne by the platform")) == 65_000 - 2_000


def test_the_split_follows_the_chosen_period(books: World, auditor: Console) -> None:
    with books.app.app_context():
        day = db.session.scalar(select(JournalTransaction.day))
    after = day.replace(year=day.year + 1).isoformat()
    html = auditor.get(f"/audit/trial-balance?from={after}").get_data(as_text=True)
    assert "No sales or refunds in this period." in html
    assert "Balanced" in html  # the trial balance itself is always all-time
    bad = auditor.get(f"/audit/trial-balance?from={after}&to={day.isoformat()}")
    assert bad.status_code == 422 and "Must not be before from." in bad.get_data(as_text=True)
    zh = console_for(books.app, books["auditor"].email, lang="zh")
    assert "不能早于起始日。" in zh.get(f"/audit/trial-balance?from={after}&to={day}").get_data(
        as_text=True)


def test_journal_filters_narrow_the_lines(books: World, auditor: Console) -> None:
    lines = journal_lines(books)

    def shown(query: str) -> list[list[str]]:
        response = auditor.get(f"/audit/journal?{query}")
        assert response.status_code == 200
        return [r for r in table_rows(response.get_data(as_text=True), "journal-lines")[1:]
                if len(r) == 8]

    everything = shown("limit=500")
    assert len(everything) == len(lines) == 4 * 4  # sale, refund, sale, sale: four lines each
    commission = shown("account=platform_commission")
    assert {r[5] for r in commission} == {"platform_commission"}
    assert len(commission) == sum(1 for line in lines if line[2] == "platform_commission") == 4
    payables = shown(f"account=merchant_payable:*&merchant_org_id={books['quoted'].org_id}")
    assert [(r[4], r[5]) for r in payables] == [
        (QUOTED_NAME, f"merchant_payable:{books['quoted'].org_id}")]
    refunds = shown("kind=refund")
    assert {r[2] for r in refunds} == {"Refund"} and len(refunds) == 4
    first_sale = books.sale_ids[0]  # type: ignore[attr-defined]
    of_sale = shown(f"reference={first_sale}")  # the sale and its refund
    assert [r[2] for r in of_sale] == ["Sale"] * 4 + ["Refund"] * 4
    assert {r[3] for r in of_sale[:4]} == {first_sale} and of_sale[4][3] != first_sale
    assert shown("from=2000-01-01&to=2000-12-31") == []


def test_journal_pages_cover_every_line_once(books: World, auditor: Console) -> None:
    seen: list[list[str]] = []
    path = "/audit/journal?limit=4"
    while path:
        html = auditor.get(path).get_data(as_text=True)
        seen += [r for r in table_rows(html, "journal-lines")[1:] if len(r) == 8]
        following = re.search(r'id="next-page" href="([^"]+)"', html)
        path = following.group(1).replace("&amp;", "&") if following else ""
    assert len(seen) == len(journal_lines(books))
    assert len({tuple(r) for r in seen}) == len(seen)
    assert auditor.get("/audit/journal?cursor=%%%").status_code == 422


def test_csv_export_has_a_bom_the_header_the_filtered_rows_and_quotes_names(
        books: World, auditor: Console) -> None:
    response = auditor.get("/audit/journal.csv?account=merchant_payable:*&kind=sale")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="journal-')
    assert response.headers["Cache-Control"] == "no-store"
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel opens it as UTF-8, not GBK
    text = raw.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(text.splitlines()[0].split(",")) == COLUMNS
    assert len(rows) == 3 and {r["kind"] for r in rows} == {"sale"}
    assert all(r["account"].startswith("merchant_payable:") for r in rows)
    quoted = [r for r in rows if r["merchant_org_id"] == books["quoted"].org_id]
    assert [r["merchant_name"] for r in quoted] == [QUOTED_NAME]
    assert '"德阳""云,数""科技 <有限> 公司"' in text  # RFC 4180: quoted, quotes doubled
    assert int(quoted[0]["credit_fen"]) == 30_000 - 3_000 - 1_500
    api = books.call("GET", "/revenue/journal?format=csv", books["auditor"]).get_data()
    assert not api.startswith(b"\xef\xbb\xbf")  # the API stays plain UTF-8 for programs
    assert api.decode().splitlines()[0] == text.splitlines()[0]  # the same generator
    assert auditor.get("/audit/journal.csv?kind=bogus").status_code == 422


def test_reconciliation_lists_a_missing_provider_charge(books: World, auditor: Console) -> None:
    idle = auditor.get("/audit/reconciliation").get_data(as_text=True)
    assert 'id="run-reconciliation"' in idle and 'id="reconciliation-summary"' not in idle
    clean = auditor.get("/audit/reconciliation?run=1").get_data(as_text=True)
    assert "No exceptions" in clean
    gateway = books.app.extensions["elx.payments"]
    saved = dict(gateway.intents)
    lost = next(i for i, state in saved.items() if state.amount_fen == 25_000)
    try:
        del gateway.intents[lost]  # the provider never captured this sale
        gateway.intents["pi_stray"] = type(saved[lost])("pi_stray", "succeeded", 777, None)
        html = auditor.get("/audit/reconciliation?run=1").get_data(as_text=True)
    finally:
        gateway.intents.clear()
        gateway.intents.update(saved)
    rows = table_rows(html, "exceptions")[1:]
    kinds = {r[0]: r for r in rows}
    missing = kinds["In the journal, missing at the provider"]
    assert missing[1] == books.sale_ids[1] and missing[3].startswith("jtx_")  # type: ignore[attr-defined]
    stray = kinds["Provider charge matching no order or invoice"]
    assert stray[2] == "ch_pi_stray" and fen(stray[4]) == 777
    assert f'href="/audit/journal?reference={books.sale_ids[1]}"' in html  # type: ignore[attr-defined]


def test_statements_match_the_api_for_each_merchant(books: World, auditor: Console) -> None:
    rows = table_rows(auditor.get("/audit/statements").get_data(as_text=True), "statements")
    shown = {r[0]: r for r in rows[1:]}
    for name, actor in (("德阳数据开发公司 A", "merchant"), (QUOTED_NAME, "quoted")):
        api = books.ok("GET", f"/revenue/statements?merchant_org_id={books[actor].org_id}",
                       books["auditor"])
        row = shown[name]
        assert (int(row[2]), fen(row[3]), fen(row[4]), fen(row[5]), fen(row[7])) == (
            api["sales"], api["sales_gross_fen"], api["merchant_share_fen"],
            api["refunds_fen"], api["closing_payable_fen"])
    assert fen(shown["Total"][7]) == 53_550  # all merchants' payable = their split share
    one = table_rows(auditor.get(f"/audit/statements?merchant_org_id={books['quoted'].org_id}")
                     .get_data(as_text=True), "statements")
    assert [r[0] for r in one[1:]] == [QUOTED_NAME]
    assert auditor.get("/audit/statements?currency=cny").status_code == 422


@pytest.mark.parametrize("path", AUDIT_PAGES)
def test_only_operator_staff_open_audit_pages(books: World, path: str) -> None:
    for name in ("auditor", "operator"):
        assert console_for(books.app, books[name].email).get(path).status_code == 200, name
    for name in REFUSED:
        assert console_for(books.app, books[name].email).get(path).status_code == 403, name
    anonymous = console_for(books.app).get(path)
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/login")


def test_names_are_escaped_and_pages_speak_chinese(books: World) -> None:
    zh = console_for(books.app, books["auditor"].email, lang="zh")
    html = zh.get("/audit/journal").get_data(as_text=True)
    assert "德阳&#34;云,数&#34;科技 &lt;有限&gt; 公司" in html and "<有限>" not in html
    assert "日记账" in html and "导出为 CSV" in html
    assert "试算平衡表" in zh.get("/audit/trial-balance").get_data(as_text=True)


def test_kind_values_are_the_journal_kinds() -> None:
    assert {k.value for k in TransactionKind} == {"sale", "refund", "payout"}
