"""A shop that is paid by bank transfer and prints receipts, on top of the clothing store.

The settings a Berlin shop would give (with tests/clothing_store.py's STORE_SETTINGS),
and a ten-line order paid by transfer: the longest receipt the browser test prints.
The receipt browser test and docs/screenshots/make_order_page.py use it.
"""

from __future__ import annotations

from typing import Any

import httpx

from tests.clothing_store import LENA, place

RECEIPT_SETTINGS = {
    "shop_name": "Faden & Co. Textil GmbH",
    "shop_address": "Torstraße 12 | 10119 Berlin | Germany",
    "bank_account_holder": "Faden & Co. Textil GmbH",
    "bank_iban": "DE89 3704 0044 0532 0130 00",
    "bank_bic": "COBADEFFXXX",
    "bank_name": "Commerzbank Berlin",
    "bank_reference": "Order {number}",
}
# Ten more products, so that one order can have ten lines (a SKU is one line).
ACCESSORIES = [
    (f"ACC-{index:02d}", name, price)
    for index, (name, price) in enumerate([
        ("Canvas tote bag, natural", 1490), ("Leather belt, brown, 90 cm", 3900),
        ("Linen scarf, sand", 2990), ("Cotton cap, navy", 1990),
        ("Wool gloves, charcoal, M", 2490), ("Silk tie, burgundy", 3490),
        ("Bamboo socks, 5-pack", 1990), ("Rain poncho, yellow", 3290),
        ("Corduroy trousers, olive, W32", 7900), ("Knitted cardigan, oat, M", 8900),
    ], start=1)
]
CUSTOMER = {"name": "Lena Fischer", "email": "lena.fischer@example.de", "phone": "+49 30 5550147"}


def place_a_ten_line_transfer_order(client: httpx.Client) -> dict[str, Any]:
    """Add the accessories (stock 50 each) and place one order of all ten by bank transfer."""
    for sku, name, price in ACCESSORIES:
        added = client.post("/v1/products", json={"sku": sku, "name": name, "price": price,
                                                  "stock": 50})
        assert added.status_code == 201, added.text
    return place(client, [(sku, 1 + index % 3) for index, (sku, _, _) in enumerate(ACCESSORIES)],
                 CUSTOMER, LENA, payment_method="bank_transfer", shipping_method="dhl-standard")
