"""The auditor pages in real Chromium (issue 8 §6): sign in, read the trial balance and the split
chart, filter the journal by keyboard, download its CSV, run the reconciliation, read the
statements; labelled inputs and no console errors on every page; a screenshot of each."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest

from tests.api.world import PASSWORD
from tests.web.audit_world import QUOTED_NAME, build_books
from tests.web.browser import shoot, unlabelled_inputs


@pytest.fixture
def live_app(app_factory: Any) -> Any:
    """No background worker: build_books runs the element jobs inline (run_pending)."""
    return app_factory(WORKER_THREADS=0, validate_contract=False)


def test_auditor_reads_the_books_filters_by_keyboard_and_downloads_csv(
        live_server: Any, browser_page: Any) -> None:
    books = build_books(live_server.app)
    page, base = browser_page, live_server.url
    page.goto(base + "/audit/trial-balance")
    page.fill("#email", books["auditor"].email)
    page.fill("#password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(base + "/audit/trial-balance")
    assert "Balanced" in page.inner_text("#trial-balance")
    assert page.locator("#split-chart svg.chart rect").count() >= 3
    assert "¥535.50" in page.inner_text("#split-chart")  # the merchants' share, net of refund
    assert unlabelled_inputs(page) == []
    shoot(page, "audit-trial-balance")

    page.click("text=Journal")
    page.wait_for_url(base + "/audit/journal")
    assert unlabelled_inputs(page) == []
    first_sale = books.sale_ids[0]  # type: ignore[attr-defined]
    page.focus("#reference")
    page.keyboard.type(first_sale)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/audit/journal?*reference={first_sale}*")
    references = page.locator("#journal-lines tbody tr td:nth-child(4)").all_inner_texts()
    assert len(references) == 4 + 4 and references[:4] == [first_sale] * 4  # sale, refund
    shoot(page, "audit-journal")
    with page.expect_download() as info:
        page.focus("#export-csv")
        page.keyboard.press("Enter")
    download = info.value
    assert download.suggested_filename.startswith("journal-")
    raw = Path(download.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["kind"] for r in rows] == ["sale"] * 4 + ["refund"] * 4
    assert {r["reference"] for r in rows[:4]} == {first_sale}

    page.click("text=Reconciliation")
    page.wait_for_url(base + "/audit/reconciliation")
    page.focus("#run-reconciliation")
    page.keyboard.press("Enter")
    page.wait_for_url("**/audit/reconciliation?run=1")
    assert "No exceptions" in page.inner_text("main")
    assert page.inner_text("#reconciliation-summary").split()[2:3] == ["3"]  # provider charges
    shoot(page, "audit-reconciliation")

    page.click("text=Statements")
    page.wait_for_url(base + "/audit/statements")
    assert QUOTED_NAME in page.inner_text("#statements")
    assert unlabelled_inputs(page) == []
    shoot(page, "audit-statements")
