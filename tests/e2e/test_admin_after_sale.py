"""Changes after the sale from the back office's order page: correcting details,
refunding, notes, and the history that tells them (with who did each step).

The rules themselves (what a status allows, what a refund may name) are the domain's
tests'; here, that the pages offer them, confirm them, make them through the Shop and
show the merchant what came of it or why not.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from order_service.api.admin.formatting import money
from tests.e2e.back_office import Page, get, sign_in, submit
from tests.e2e.builders import (
    create_product,
    create_shipping_method,
    get_json,
    line,
    place_order,
)

ON_SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
Json = dict[str, Any]


@pytest.fixture
def admin(client: TestClient, merchant_key: str) -> TestClient:
    """The app's client, signed in to the back office (it still sends the key to /v1)."""
    sign_in(client, merchant_key)
    return client


def _order(client: TestClient, *, quantity: int = 2, stock: int = 5, paid: bool = True) -> Json:
    sku = create_product(client, stock=stock, name="Straw hat", price=1250)["sku"]
    order = place_order(client, [line(sku, quantity)], create_shipping_method(client)["code"])
    if paid:
        order = client.post(f"/v1/orders/{order['id']}/pay").json()
    return order


def _path(order: Json, action: str = "") -> str:
    return f"/admin/orders/{order['id']}" + (f"/{action}" if action else "")


def _history(client: TestClient, order: Json) -> list[str]:
    return [event["type"] for event in get_json(client, f"/v1/orders/{order['id']}/events")]


def _available(client: TestClient, sku: str) -> int:
    available: int = get_json(client, f"/v1/products/{sku}")["available"]
    return available


def _who(page: Page) -> str:
    return page.texts("who")[0]  # the signed-in key's name, in the top bar


# -- correcting details ----------------------------------------------------------------


def test_a_shipping_address_correction_is_confirmed_then_made_and_told(admin: TestClient
                                                                       ) -> None:
    order = _order(admin)
    page = get(admin, _path(order))
    assert page.form(_path(order, "correct/review"), part="shipping_address").fields[
        "line1"] == "Calle Mayor 1"  # prefilled with what the order has

    review = submit(admin, page, _path(order, "correct/review"),
                    holding={"part": "shipping_address"}, line1="Calle Mayor 10")
    assert review.response.status_code == 200
    assert review.texts("foreseen") == [
        f"Shipping address corrected Calle Mayor 1 → Calle Mayor 10 by {_who(page)}"]
    assert _history(admin, order) == ["OrderPlaced", "OrderPaid"]  # not yet

    done = submit(admin, review, _path(order, "correct"))

    assert done.response.url.path == _path(order)
    assert done.flash() == "Shipping address corrected Calle Mayor 1 → Calle Mayor 10"
    corrected = get_json(admin, f"/v1/orders/{order['id']}")
    assert (corrected["shipping_address"]["line1"], corrected["billing_address"]["line1"]) == (
        "Calle Mayor 10", "Gran Vía 2")
    assert done.texts("timeline-title")[-1] == "Shipping address corrected"
    assert done.texts("timeline-by")[-1] == f"by {_who(page)}"


@ON_SQLITE
def test_a_correction_confirmed_after_another_change_is_refused(admin: TestClient) -> None:
    order = _order(admin)
    review = submit(admin, get(admin, _path(order)), _path(order, "correct/review"),
                    holding={"part": "customer"}, email="ana.garcia@example.com")
    admin.post(f"/v1/orders/{order['id']}/notes", json={"text": "Called the customer"})

    refused = submit(admin, review, _path(order, "correct"))

    assert refused.flash() == (
        f"No correction was made to order #{order['number']} "
        f"It changed since the form was opened and is now paid; look at it again and "
        f"repeat the change if you still mean it.")
    assert get_json(admin, f"/v1/orders/{order['id']}")["customer"]["email"] == \
        "ana@example.com"


@ON_SQLITE
def test_a_form_older_than_the_order_is_refused_before_confirming(admin: TestClient) -> None:
    order = _order(admin, paid=False)
    page = get(admin, _path(order))
    admin.post(f"/v1/orders/{order['id']}/pay")  # meanwhile

    refused = submit(admin, page, _path(order, "correct/review"),
                     holding={"part": "billing_address"}, city="Toledo")

    assert refused.response.status_code == 412
    assert "It changed since the form was opened and is now paid" in refused.flash()
    assert refused.form(_path(order, "correct/review"), part="billing_address").fields[
        "city"] == "Toledo"  # shown again as typed
    assert _history(admin, order) == ["OrderPlaced", "OrderPaid"]


@ON_SQLITE
def test_an_invalid_correction_is_shown_again_as_typed_with_the_problem(admin: TestClient
                                                                        ) -> None:
    order = _order(admin)

    refused = submit(admin, get(admin, _path(order)), _path(order, "correct/review"),
                     holding={"part": "shipping_address"}, postal_code="2" * 21)

    assert refused.response.status_code == 422
    assert refused.flash() == (
        f"No correction was made to order #{order['number']} "
        "Postal code should have at most 20 characters.")
    assert refused.form(_path(order, "correct/review"), part="shipping_address").fields[
        "postal_code"] == "2" * 21
    assert 'id="correct-shipping_address" open' in refused.html


@ON_SQLITE
def test_a_correction_that_changes_nothing_is_not_confirmed(admin: TestClient) -> None:
    order = _order(admin)

    same = submit(admin, get(admin, _path(order)), _path(order, "correct/review"),
                  holding={"part": "customer"})

    assert same.flash() == (f"No correction was made to order #{order['number']} What was "
                            "sent is what the order has already: nothing to correct.")
    assert _history(admin, order) == ["OrderPlaced", "OrderPaid"]


@ON_SQLITE
def test_details_can_be_corrected_only_until_the_order_ships(admin: TestClient) -> None:
    pending, paid, shipped = (_order(admin, paid=False), _order(admin), _order(admin))
    admin.post(f"/v1/orders/{shipped['id']}/ship")

    def offered(order: Json) -> int:
        return get(admin, _path(order)).html.count(f'action="{_path(order, "correct/review")}"')

    assert [offered(order) for order in (pending, paid, shipped)] == [3, 3, 0]


# -- refunds -----------------------------------------------------------------------------


def _review_refund(admin: TestClient, order: Json, **values: str | list[str]) -> Page:
    form = get(admin, _path(order)).form(_path(order, "refund/review"))
    return Page(admin.post(form.action, data=form.data(**values), follow_redirects=True))


def test_a_partial_refund_with_restock_gives_money_and_stock_back(admin: TestClient) -> None:
    order = _order(admin, quantity=2, stock=5)
    sku, total = order["lines"][0]["sku"], order["total"]

    review = _review_refund(admin, order, amount="12.50", reason="Arrived crushed",
                            sku=[sku], quantity=["1"], restock="yes")
    assert review.texts("stock-after") == [f"{sku} +1: 3 available now, 4 afterwards"]
    assert review.texts("foreseen") == [
        f"Refunded 12.50 EUR Reason: Arrived crushed For: {sku} × 1 "  # noqa: RUF001
        f"Stock back: {sku} × 1 by {_who(review)}"]  # noqa: RUF001
    assert _available(admin, sku) == 3  # not yet

    done = submit(admin, review, _path(order, "refund"))

    left = f"{(total - 1250) // 100}.{(total - 1250) % 100:02d} EUR"
    assert done.flash() == (f"Refunded 12.50 EUR Stock back: {sku} +1, now 4 available "
                            f"Left to refund: {left}")
    assert _available(admin, sku) == 4
    assert get_json(admin, f"/v1/orders/{order['id']}")["refunded"] == 1250
    assert done.texts("refund") == [f"{done.texts('cell-when')[0]} Arrived crushed "
                                     f"{sku} × 1 Back in stock €12.50"]  # noqa: RUF001
    assert done.texts("left-to-refund") == [money(total - 1250, "EUR")]
    assert done.texts("timeline-title")[-1] == "Refunded 12.50 EUR"


@ON_SQLITE
def test_a_refund_without_restock_leaves_the_stock_alone(admin: TestClient) -> None:
    order = _order(admin, quantity=2, stock=5)
    sku = order["lines"][0]["sku"]
    review = _review_refund(admin, order, amount="5", reason="Goodwill", sku=[sku],
                            quantity=["2"])

    done = submit(admin, review, _path(order, "refund"))

    assert done.flash().startswith("Refunded 5.00 EUR Left to refund:")
    assert _available(admin, sku) == 3
    assert "Not restocked" in done.texts("refund")[0]


def test_a_refund_of_more_than_is_left_is_refused_in_major_units(admin: TestClient) -> None:
    order = _order(admin)

    refused = _review_refund(admin, order, amount="1000", reason="Too much")

    assert refused.response.status_code == 409
    assert refused.flash() == (
        f"Order #{order['number']} was not refunded Order #{order['number']} has "
        f"{order['total'] // 100}.{order['total'] % 100:02d} EUR left to refund, less than "
        f"the 1000.00 EUR asked for.")
    assert refused.form(_path(order, "refund/review")).fields["amount"] == "1000"
    assert _history(admin, order) == ["OrderPlaced", "OrderPaid"]


@ON_SQLITE
@pytest.mark.parametrize(("amount", "quantity", "problem"), [
    ("12.505", "", "'12.505' is not an amount of EUR: type it like 12.50."),
    ("twelve", "", "'twelve' is not an amount of EUR: type it like 12.50."),
    ("-5", "", "'-5' is not an amount of EUR: type it like 12.50."),
    ("0", "", "The amount to refund must be more than 0."),
    ("5", "1.5", "The quantity of {sku} must be a whole number, not '1.5'."),
    ("5", "3", "Order #{number} has 2 of {sku} left to refund, fewer than the 3 asked for."),
])
def test_a_refund_form_that_is_no_refund_is_refused_as_typed(
    admin: TestClient, amount: str, quantity: str, problem: str,
) -> None:
    order = _order(admin, quantity=2)
    sku = order["lines"][0]["sku"]

    refused = _review_refund(admin, order, amount=amount, reason="Why", sku=[sku],
                             quantity=[quantity])

    assert refused.flash() == (f"Order #{order['number']} was not refunded "
                               + problem.format(sku=sku, number=order["number"]))
    assert refused.form(_path(order, "refund/review")).fields["amount"] == amount


@ON_SQLITE
def test_a_refund_confirmed_twice_is_made_once(admin: TestClient) -> None:
    order = _order(admin)
    review = _review_refund(admin, order, amount="1.00", reason="Late delivery")

    first = submit(admin, review, _path(order, "refund"))
    again = submit(admin, review, _path(order, "refund"))

    assert first.flash() == again.flash()
    assert get_json(admin, f"/v1/orders/{order['id']}")["refunded"] == 100


@ON_SQLITE
def test_refunds_are_offered_for_paid_and_shipped_orders_until_refunded_in_full(
    admin: TestClient,
) -> None:
    pending, paid, shipped, cancelled = (_order(admin, paid=False), _order(admin),
                                         _order(admin), _order(admin, paid=False))
    admin.post(f"/v1/orders/{shipped['id']}/ship")
    admin.post(f"/v1/orders/{cancelled['id']}/cancel")

    def offered(order: Json) -> bool:
        return f'action="{_path(order, "refund/review")}"' in get(admin, _path(order)).html

    assert [offered(order) for order in (pending, paid, shipped, cancelled)] == [
        False, True, True, False]
    admin.post(f"/v1/orders/{paid['id']}/refunds",
               json={"amount": paid["total"], "reason": "Returned"})
    in_full = get(admin, _path(paid))
    assert (offered(paid), "Refunded in full." in in_full.html) == (False, True)


# -- notes and the timeline -------------------------------------------------------------


def test_a_note_is_added_and_shows_in_the_history_with_who_wrote_it(admin: TestClient
                                                                    ) -> None:
    order = _order(admin, paid=False)
    page = get(admin, _path(order))

    done = submit(admin, page, _path(order, "note"),
                  text="Customer called:\r\nleave it with the neighbour")

    assert done.flash() == "Note added"
    assert done.texts("timeline-title")[-1] == "Note"
    assert done.texts("timeline-by") == [f"by {_who(page)}"] * 2
    notes = get_json(admin, f"/v1/orders/{order['id']}/events")[-1]["data"]["text"]
    assert notes == "Customer called:\nleave it with the neighbour"
    assert "Customer called:\nleave it with the neighbour</p>" in done.html


@ON_SQLITE
def test_an_empty_note_is_refused_and_nothing_stored(admin: TestClient) -> None:
    order = _order(admin, paid=False)

    refused = submit(admin, get(admin, _path(order)), _path(order, "note"), text="   ")

    assert refused.response.status_code == 422
    assert refused.flash() == (f"No note was added to order #{order['number']} "
                               "Text should have at least 1 character.")
    assert _history(admin, order) == ["OrderPlaced"]


@ON_SQLITE
def test_a_note_form_sent_again_with_other_words_is_not_taken_for_a_repeat(admin: TestClient
                                                                           ) -> None:
    order = _order(admin, paid=False)
    page = get(admin, _path(order))
    submit(admin, page, _path(order, "note"), text="Wrapped as a gift")

    again = submit(admin, page, _path(order, "note"), text="No, not as a gift")  # Back, send

    assert again.flash() == (f"No note was added to order #{order['number']} This form was "
                             "sent before with other values; open the order again and fill "
                             "the form in anew.")
    assert _history(admin, order) == ["OrderPlaced", "OrderNoteAdded"]
