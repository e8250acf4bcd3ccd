"""The sales receipt as a merchant prints it: headless Chromium prints the page to PDF.

One server (SQLite) serves the module: the clothing store with its bank details and its
name and address set, and a ten-line order paid by bank transfer.
"""

from __future__ import annotations

import io
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tests.browser import requests_made, save_screenshot, sign_in
from tests.clothing_store import STORE_SETTINGS, stock_the_store
from tests.receipts import RECEIPT_SETTINGS, place_a_ten_line_transfer_order
from tests.servers import Server

A4_MM = (210, 297)
POINTS_PER_MM = 72 / 25.4
# A printed amount such as "€1,234.56", at the end of a totals line.
_TOTALS_LINE = re.compile(r"^(Subtotal|Shipping|Tax|Total)\b.*?€([\d,]+\.\d\d)$", re.MULTILINE)


@pytest.fixture(scope="module")
def shop(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[tuple[Server, dict[str, Any]]]:
    """A running server whose shop is paid by transfer, and its ten-line order."""
    directory = tmp_path_factory.mktemp("receipts")
    shutil.copyfile(sqlite_template, directory / "store.db")
    server = Server(f"sqlite:///{directory / 'store.db'}", directory / "server",
                    settings={**STORE_SETTINGS, **RECEIPT_SETTINGS})
    server.start()
    try:
        stock_the_store(server.client)
        yield server, place_a_ten_line_transfer_order(server.client)
    finally:
        server.close()


def _sign_in(page: Page, server: Server) -> None:
    sign_in(page, server.base_url, server.api_key)


def _minor_units(printed: str) -> int:
    return int(printed.replace(",", "").replace(".", ""))


def test_a_ten_line_receipt_prints_on_one_a4_page_with_the_apis_totals(
    page: Page, shop: tuple[Server, dict[str, Any]],
) -> None:
    server, order = shop
    _sign_in(page, server)
    page.goto(f"{server.base_url}/admin/orders/{order['id']}")
    save_screenshot(page, "admin-order-bank-transfer")

    page.get_by_role("link", name="Receipt").click()
    expect(page).to_have_url(f"{server.base_url}/admin/orders/{order['id']}/receipt")
    save_screenshot(page, "admin-receipt")
    pdf = PdfReader(io.BytesIO(page.pdf(format="A4")))

    assert len(pdf.pages) == 1
    box = pdf.pages[0].mediabox
    assert [round(float(side) / POINTS_PER_MM) for side in (box.width, box.height)] == list(A4_MM)
    text = pdf.pages[0].extract_text()
    api = server.client.get(f"/v1/orders/{order['id']}").json()
    assert len(api["lines"]) == 10
    assert re.findall(r"^(ACC-\d\d) ", text, re.MULTILINE) == [
        line["sku"] for line in api["lines"]]
    assert {label: _minor_units(amount) for label, amount in _TOTALS_LINE.findall(text)} == {
        "Subtotal": api["subtotal"], "Shipping": api["shipping"], "Tax": api["tax"],
        "Total": api["total"]}
    assert f"Receipt no. {api['number']}" in text
    assert f"Reference {api['payment_instructions']['reference']}" in text
    assert "IBAN DE89 3704 0044 0532 0130 00" in text
    assert all(url.startswith(server.base_url) for url in requests_made(page)), \
        "the receipt must load nothing from other sites"
