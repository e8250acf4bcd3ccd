"""Make docs/screenshots/email-placed.png: the HTML part of the email a Spanish shop sends
when an order to be paid by bank transfer is placed, as a mail program shows it.

    .venv/bin/python docs/screenshots/make_email_screenshot.py [--out PATH] [--locale es|en]

Renders the packaged templates (no server, no database: an OrderView built here) and
photographs the HTML in headless Chromium (/usr/bin/chromium), as tests/browser.py drives it.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402
from tests.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

from order_service.adapters.email.templates import JinjaEmailTemplates  # noqa: E402
from order_service.application.email_messages import EmailFacts  # noqa: E402
from order_service.application.views import OrderView  # noqa: E402
from order_service.domain.payment_instructions import (  # noqa: E402
    BankAccount,
    BankTransferInstructions,
)
from order_service.domain.values import Address, Customer, OrderLine, OrderStatus  # noqa: E402

SHOP_NAME = "Lana & Lino Sevilla"
PLACED_AT = datetime(2026, 3, 14, 9, 26, tzinfo=UTC)
# Wide enough for a mail program's reading pane with the 600-pixel email in it.
VIEWPORT = {"width": 720, "height": 900}
PRODUCTS = [("CAM-LINO-BLA-M", "Camisa de lino, blanco, M", 2, 4_590),
            ("ALP-YUTE-AZU-39", "Alpargatas de yute, azul marino, 39", 1, 3_290),
            ("PAN-SEDA-ARE", "Pañuelo de seda, arena", 1, 2_450)]


def an_order() -> OrderView:
    """Marta's order 1042: three lines, 21 % IVA on top, shipped with Correos Express."""
    lines = tuple(OrderLine(sku, name, quantity, price, quantity * price)
                  for sku, name, quantity, price in PRODUCTS)
    subtotal = sum(line.line_total for line in lines)
    shipping = 495
    tax = (subtotal + shipping) * 21 // 100
    home = Address(name="Marta Jiménez Ruiz", line1="Calle Feria 27", line2="2.º B",
                   postal_code="41003", city="Sevilla", region="Sevilla", country="ES")
    return OrderView(
        id=uuid4(), number=1042, status=OrderStatus.PENDING_PAYMENT, currency="EUR",
        customer=Customer("Marta Jiménez Ruiz", "marta.jimenez@example.es", "+34 600 123 456"),
        lines=lines, subtotal=subtotal, shipping=shipping, tax_rate="0.21", tax=tax,
        total=subtotal + shipping + tax, shipping_address=home, billing_address=home,
        payment_method="bank_transfer", shipping_method="correos-express",
        shipping_method_name="Correos Express (24-48 h)", placed_at=PLACED_AT, paid_at=None,
        shipped_at=None, cancelled_at=None, updated_at=PLACED_AT, payment_reference=None,
        tracking_number=None, cancel_reason=None, version=1)


def placed_email_html(locale: str) -> str:
    """The HTML part of the placed email of `an_order()`, with the shop's bank details."""
    order = an_order()
    account = BankAccount(account_holder="Lana y Lino Sevilla S.L.",
                          iban="ES9121000418450200051332", bic="CAIXESBBXXX",
                          bank_name="CaixaBank")
    instructions = BankTransferInstructions(account=account, amount=order.total,
                                            currency=order.currency,
                                            reference=f"Pedido {order.number}")
    templates = JinjaEmailTemplates(shop_name=SHOP_NAME, locale=locale,
                                    time_zone=ZoneInfo("Europe/Madrid"))
    facts = EmailFacts(kind="placed", order=order, event={}, happened_at=PLACED_AT,
                       instructions=instructions)
    return templates.render(facts).html


def main() -> int:
    """Render the placed email and photograph its HTML part."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs/screenshots/email-placed.png")
    parser.add_argument("--locale", default="es", choices=("es", "en"))
    args = parser.parse_args()
    html = placed_email_html(args.locale)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport=VIEWPORT, device_scale_factor=1)
        # An email loads nothing from the network; neither does this page.
        page.set_content(html, wait_until="load")
        args.out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(args.out), full_page=True)
        browser.close()
    print(f"saved {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
