"""Random sequences of commands against Shop on the in-memory storage, checked against a model.

Hypothesis adds products, restocks and shipping methods; places orders that sometimes ask
for too much, name an unknown SKU or method, or repeat a SKU; pays, ships and cancels in
every order, legal or not, with and without an expected version; and repeats keyed
commands. After every step the shop must agree with tests/unit/shop_model.py: stock,
orders, totals, order numbers 1..N, and every refusal exactly where the model expects one.

No I/O, so it explores far more sequences than the HTTP machine (tests/e2e/test_stateful.py)
can. ORDER_SERVICE_STATEFUL_EXAMPLES=2000 explores longer, with fresh randomness each run.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any
from uuid import UUID

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)

from order_service.application import queries
from order_service.application.commands import (
    AddProduct,
    AddShippingMethod,
    CancelOrder,
    PayOrder,
    PlaceOrder,
    RestockProduct,
    ShipOrder,
)
from order_service.application.errors import AlreadyHandled, IdempotencyKeyReused
from order_service.application.ports import CommandContext
from order_service.application.views import OrderFilter, OrderView
from order_service.domain.errors import (
    IllegalTransition,
    OrderNotFound,
    OrderServiceError,
    OutOfStock,
    ProductAlreadyExists,
    ProductNotFound,
    ShippingMethodAlreadyExists,
    StaleOrderVersion,
    UnknownProducts,
    UnknownShippingMethod,
)
from order_service.domain.values import RequestedLine
from tests.unit.examples import ADDRESS, CUSTOMER
from tests.unit.shop_given import CONTEXT, TERMS, given, keyed
from tests.unit.shop_model import (
    CHANGES,
    GHOST_METHOD,
    GHOST_SKU,
    LEGAL_HISTORIES,
    RARELY,
    TRANSITIONS,
    JsonObject,
    Model,
    Order,
    Product,
    check_order,
)

EXAMPLES_VARIABLE = "ORDER_SERVICE_STATEFUL_EXAMPLES"
SLUGS: dict[type[Exception], str] = {OutOfStock: "out-of-stock",
                                     UnknownProducts: "unknown-product",
                                     UnknownShippingMethod: "unknown-shipping-method"}
COMMANDS: dict[str, type[PayOrder | ShipOrder | CancelOrder]] = {
    "pay": PayOrder, "ship": ShipOrder, "cancel": CancelOrder}


def shown(order: OrderView) -> JsonObject:
    """An order view in the shape the model keeps (the API's JSON names and values)."""
    return {"id": str(order.id), "number": order.number, "status": order.status.value,
            "lines": [asdict(line) for line in order.lines], "subtotal": order.subtotal,
            "shipping": order.shipping, "tax": order.tax, "total": order.total,
            "version": order.version, "payment_reference": order.payment_reference,
            "tracking_number": order.tracking_number, "cancel_reason": order.cancel_reason}


@dataclass
class Keyed:
    """A command sent with a key, how it was answered, and how to send it again."""

    send: Callable[[CommandContext], Any]
    key: str
    recording: str


class ShopMachine(RuleBasedStateMachine):
    """The shop against the model."""

    products = Bundle("products")
    methods = Bundle("methods")
    orders = Bundle("orders")

    def __init__(self) -> None:
        super().__init__()
        self.shop, _ = given()
        self.model = Model(tax_rate=TERMS.tax_rate)
        self.counter = 0
        self.last_keyed: Keyed | None = None

    def _next(self) -> int:
        self.counter += 1
        return self.counter

    def _run(self, send: Callable[[CommandContext], Any], keyed_: bool) -> Any:
        """Send a command, with a fresh key if `keyed_`; a refusal comes back as a value."""
        key = f"key-{self._next()}"
        context = keyed(key) if keyed_ else CONTEXT
        try:
            result: Any = send(context)
        except OrderServiceError as refusal:
            result = refusal
        if keyed_:
            recording = (f"refusal {result}" if isinstance(result, OrderServiceError)
                         else f"answer {result!r}")
            self.last_keyed = Keyed(send, key, recording)
        return result

    # -- the catalogue

    @initialize(target=products, stocked=st.lists(
        st.tuples(st.integers(0, 20_000), st.integers(4, 20)), min_size=1, max_size=3))
    def open_with_products(self, stocked: list[tuple[int, int]]) -> Any:
        """The shop opens with a few products, so that orders come from the first step."""
        return multiple(*(self.add_product(price, stock, keyed_=False)
                          for price, stock in stocked))

    @initialize(target=methods, price=st.integers(0, 1_500))
    def open_with_a_shipping_method(self, price: int) -> str:
        """The shop opens with a shipping method."""
        return self.add_shipping_method(price, keyed_=False)

    @rule(target=products, price=st.integers(0, 20_000), stock=st.integers(0, 10),
          keyed_=st.booleans())
    def add_product(self, price: int, stock: int, keyed_: bool) -> str:
        """A new product is added with its opening stock."""
        sku = f"SKU-{self._next()}"
        command = AddProduct(sku, f"Product {sku}", price, "EUR", stock)
        added = self._run(lambda context: self.shop.add_product(command, context), keyed_)
        assert (added.available, added.price) == (stock, price)
        self.model.products[sku] = Product(command.name, price, stock)
        return sku

    @rule(target=methods, price=st.integers(0, 1_500), keyed_=st.booleans())
    def add_shipping_method(self, price: int, keyed_: bool) -> str:
        """A new shipping method is offered."""
        code = f"ship-{self._next()}"
        command = AddShippingMethod(code, f"Method {code}", price, "EUR")
        self._run(lambda context: self.shop.add_shipping_method(command, context), keyed_)
        self.model.methods[code] = price
        return code

    @rule(sku=products, code=methods)
    def add_an_existing_product_or_shipping_method(self, sku: str, code: str) -> None:
        """A SKU or a code is added once; a second time is refused and changes nothing."""
        again = self._run(lambda context: self.shop.add_product(
            AddProduct(sku, "Again", 1, "EUR", 99), context), keyed_=False)
        assert isinstance(again, ProductAlreadyExists)
        again = self._run(lambda context: self.shop.add_shipping_method(
            AddShippingMethod(code, "Again", 1, "EUR"), context), keyed_=False)
        assert isinstance(again, ShippingMethodAlreadyExists)

    @rule(sku=products, quantity=st.integers(1, 10), unknown=RARELY, keyed_=st.booleans())
    def restock(self, sku: str, quantity: int, unknown: bool, keyed_: bool) -> None:
        """Stock arrives for a known product; an unknown one is refused."""
        sku = GHOST_SKU if unknown else sku
        restocked = self._run(lambda context: self.shop.restock_product(
            RestockProduct(sku, quantity), context), keyed_)
        if unknown:
            assert isinstance(restocked, ProductNotFound)
            return
        self.model.products[sku].available += quantity
        assert restocked.available == self.model.products[sku].available

    # -- orders

    @rule(target=orders,
          lines=st.lists(st.tuples(products, st.integers(1, 3)), min_size=1, max_size=4),
          method=methods, unknown_sku=RARELY, unknown_method=RARELY, keyed_=st.booleans(),
          then=st.one_of(st.just([]), CHANGES))
    def place_order(self, *, lines: list[tuple[str, int]], method: str, unknown_sku: bool,
                    unknown_method: bool, keyed_: bool,
                    then: list[tuple[str, str | None, bool]]) -> Any:
        """An order is accepted whole, or refused whole for the reason the model sees;
        an accepted one may then be paid, shipped or cancelled at once (`then`)."""
        if unknown_sku:
            lines = [*lines[:1], (GHOST_SKU, 1), *lines[1:]]
        method = GHOST_METHOD if unknown_method else method
        command = PlaceOrder(customer=CUSTOMER, shipping_address=ADDRESS,
                             billing_address=ADDRESS, payment_method="card",
                             shipping_method=method,
                             lines=tuple(RequestedLine(sku, n) for sku, n in lines))
        placed = self._run(lambda context: self.shop.place_order(command, context), keyed_)
        refusals = self.model.refusals(lines, method)
        if refusals:
            self._check_refusal(placed, refusals)
            return multiple()
        order = self.model.place(str(placed.id), lines, method)
        check_order(shown(placed), order)
        for action, expected, with_note in then:
            self._change(order, action, expected, with_note, keyed_)
        return order.id

    @staticmethod
    def _check_refusal(refusal: Any, refusals: dict[str, Any]) -> None:
        # When an order deserves several refusals, any one of them is a right answer.
        slug = SLUGS.get(type(refusal))
        assert slug in refusals, (refusal, refusals)
        if isinstance(refusal, OutOfStock):
            assert sorted((s.sku, s.requested, s.available)
                          for s in refusal.shortages) == refusals[slug]
        elif isinstance(refusal, UnknownProducts):
            assert list(refusal.skus) == refusals[slug]
        else:
            assert refusal.code == refusals[slug]

    @rule(order_id=orders, changes=CHANGES, unknown=RARELY, keyed_=st.booleans())
    def change_order(self, order_id: str, changes: list[tuple[str, str | None, bool]],
                     unknown: bool, keyed_: bool) -> None:
        """Pay, ship or cancel, in any order and repeated: each a change, a no-op or a
        refusal, as the model says; an order nobody placed is not found."""
        for action, expected, with_note in changes:
            if unknown:
                command = COMMANDS[action](UUID(int=self._next()))
                refused = self._run(lambda context, c=command: self._send(c, context), keyed_)
                assert isinstance(refused, OrderNotFound)
            else:
                self._change(self.model.orders[order_id], action, expected, with_note, keyed_)

    def _send(self, command: PayOrder | ShipOrder | CancelOrder, context: CommandContext
              ) -> OrderView:
        match command:
            case PayOrder():
                return self.shop.pay_order(command, context)
            case ShipOrder():
                return self.shop.ship_order(command, context)
            case CancelOrder():
                return self.shop.cancel_order(command, context)

    def _change(self, order: Order, action: str, expected: str | None, with_note: bool,
                keyed_: bool) -> None:
        version = {"current": order.version, "stale": order.version + 1}.get(expected or "")
        note = f"{action}-{self._next()}" if with_note else None
        command = COMMANDS[action](UUID(order.id), note, expected_version=version)
        answer = self._run(lambda context: self._send(command, context), keyed_)

        if expected == "stale":
            assert isinstance(answer, StaleOrderVersion), answer
        elif order.status not in TRANSITIONS[action]:
            assert isinstance(answer, IllegalTransition), answer
            assert (answer.current.value, answer.action) == (order.status, action)
        else:
            self.model.change(order, action, note)
            check_order(shown(answer), order)

    # -- retries

    @precondition(lambda self: self.last_keyed is not None)
    @rule()
    def retry_the_last_keyed_command(self) -> None:
        """A retry with the same key gets the first answer and changes nothing."""
        assert self.last_keyed is not None
        with pytest.raises(AlreadyHandled) as repeated:
            self.last_keyed.send(keyed(self.last_keyed.key))
        assert repeated.value.recording == self.last_keyed.recording

    @precondition(lambda self: self.last_keyed is not None)
    @rule()
    def reuse_the_last_key_for_another_request(self) -> None:
        """The same key with another request is refused and changes nothing."""
        assert self.last_keyed is not None
        with pytest.raises(IdempotencyKeyReused):
            self.last_keyed.send(keyed(self.last_keyed.key, fingerprint="another body"))

    # -- after every step

    @invariant()
    def stock_and_catalogue_match_the_model(self) -> None:
        """Stock is never negative and the catalogue is exactly what the model says."""
        products = {p.sku: (p.name, p.price, p.available)
                    for p in queries.list_products(self.shop.storage)}
        assert all(available >= 0 for _, _, available in products.values()), products
        assert products == {sku: (p.name, p.price, p.available)
                            for sku, p in self.model.products.items()}
        methods = queries.list_shipping_methods(self.shop.storage)
        assert {m.code: m.price for m in methods} == self.model.methods

    @invariant()
    def every_order_matches_the_model_and_numbers_run_from_one(self) -> None:
        """Every accepted order is listed as the model has it; numbers are 1..N."""
        listed = queries.list_orders(self.shop.storage, OrderFilter(), limit=500,
                                     before_number=None).orders
        assert sorted(o.number for o in listed) == list(range(1, len(self.model.orders) + 1))
        for order in listed:
            check_order(shown(order), self.model.orders[str(order.id)])

    def teardown(self) -> None:
        """Every order's history is legal and is the model's."""
        for order in self.model.orders.values():
            history = queries.order_history(self.shop.storage, UUID(order.id))
            types = tuple(event.type for event in history)
            assert types in LEGAL_HISTORIES, types
            assert list(types) == order.history
            assert [event.version for event in history] == list(range(1, len(types) + 1))


def test_random_command_sequences_keep_the_shop_consistent_with_the_model() -> None:
    examples = os.environ.get(EXAMPLES_VARIABLE)
    run_state_machine_as_test(ShopMachine, settings=settings(
        max_examples=int(examples) if examples else 200, stateful_step_count=30,
        deadline=None, derandomize=examples is None, database=None,
        report_multiple_bugs=False))
