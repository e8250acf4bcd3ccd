"""Make docs/screenshots/order-page.png: the back office's order page of a clothing store,
and order-page-bank-transfer.png and receipt.png: a ten-line order paid by bank transfer,
with the shop's payment instructions, and its sales receipt.

    .venv/bin/python docs/screenshots/make_order_page.py [--out PATH] [--all DIR]
        [--transfer-out PATH] [--receipt-out PATH]

Starts a real `order-service serve` on a fresh SQLite file with the shop's name, address
and bank details set (tests/receipts.py) and its map served by the local tile server and
geocoder of tests/map_servers.py (plain tiles: no internet needed), fills it through the
API (tests/clothing_store.py), signs in with a merchant key in headless Chromium
(/usr/bin/chromium) and saves the pages. `--all DIR` also saves every other page there.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Page, sync_playwright  # noqa: E402
from tests.api_keys import create_key  # noqa: E402
from tests.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.clothing_store import STORE_SETTINGS, open_the_store  # noqa: E402
from tests.map_servers import Geocoder, TileServer, wait_for  # noqa: E402
from tests.receipts import RECEIPT_SETTINGS, place_a_ten_line_transfer_order  # noqa: E402
from tests.servers import Server  # noqa: E402

from order_service.adapters.sql.schema import upgrade_to_head  # noqa: E402
from order_service.application.access import Role  # noqa: E402
from order_service.cli.serve import FIRST_KEY_NAME  # noqa: E402

VIEWPORT = {"width": 1280, "height": 900}


def main() -> int:
    """Set the store up, sign in, and photograph the order page (and more with --all)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs/screenshots/order-page.png")
    parser.add_argument("--all", type=Path, help="also save every page in this directory")
    parser.add_argument("--transfer-out", type=Path,
                        default=ROOT / "docs/screenshots/order-page-bank-transfer.png")
    parser.add_argument("--receipt-out", type=Path, default=ROOT / "docs/screenshots/receipt.png")
    args = parser.parse_args()
    tiles, geocoder = TileServer(), Geocoder()
    tiles.start()
    geocoder.start()
    with tempfile.TemporaryDirectory() as work:
        url = f"sqlite:///{work}/store.db"
        upgrade_to_head(url)
        server = Server(url, Path(work) / "server", settings={
            **STORE_SETTINGS, **RECEIPT_SETTINGS, "map_tile_url": tiles.template,
            "geocoder_url": geocoder.url})
        # As on a fresh `serve`: the key shown top right is the first merchant key.
        server.api_key_name = FIRST_KEY_NAME
        server.api_key = create_key(url, Role.MERCHANT, FIRST_KEY_NAME)
        server.start()
        try:
            store = open_the_store(server.client)
            transfer = place_a_ten_line_transfer_order(server.client)
            # Every address here is looked up once, in the background, after its order.
            wait_for(lambda: len(geocoder.searches) >= 4, what="the address lookups")
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                                     args=CHROMIUM_ARGS)
                page = browser.new_page(viewport=VIEWPORT, device_scale_factor=1)
                _sign_in(page, server)
                _open_with_its_map(page, f"{server.base_url}/admin/orders/"
                                   f"{store.showcase_order_id}")
                args.out.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(args.out), full_page=True)
                _transfer_and_receipt(page, f"{server.base_url}/admin/orders/{transfer['id']}",
                                      args.transfer_out, args.receipt_out)
                if args.all:
                    _every_page(page, server, args.all)
                browser.close()
        finally:
            server.stop()  # quietly: close() would print the server's whole log
            server.client.close()
            tiles.close()
            geocoder.close()
    print(f"saved {args.out}, {args.transfer_out} and {args.receipt_out}")
    return 0


def _sign_in(page: Page, server: Server) -> None:
    assert server.api_key is not None
    page.goto(f"{server.base_url}/admin/sign-in")
    page.get_by_label("API key").fill(server.api_key)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/admin/orders")


def _open_with_its_map(page: Page, order_url: str) -> None:
    # A lookup is kept a moment after the geocoder answered: reload until the map is there.
    for _ in range(50):
        page.goto(order_url)
        if page.locator("#order-map").count():
            break
        page.wait_for_timeout(100)
    page.locator("#order-map .leaflet-marker-icon").wait_for()
    page.locator("#order-map .leaflet-tile-loaded").first.wait_for()


def _transfer_and_receipt(page: Page, order_url: str, order_out: Path, receipt_out: Path
                          ) -> None:
    _open_with_its_map(page, order_url)
    page.screenshot(path=str(order_out), full_page=True)
    page.goto(f"{order_url}/receipt")
    # The sheet alone, as it prints (the bar above it is for the screen only).
    page.locator(".sheet").screenshot(path=str(receipt_out))


def _every_page(page: Page, server: Server, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name in ("orders", "products", "sales"):
        page.goto(f"{server.base_url}/admin/{name}")
        page.screenshot(path=str(directory / f"{name}.png"), full_page=True)


if __name__ == "__main__":
    sys.exit(main())
