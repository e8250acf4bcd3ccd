"""Random sequences of commands against the real HTTP app, checked against a tiny model.

The rules are explored far more widely on Shop and the in-memory storage, against the same
model (tests/unit/test_shop_machine.py, tests/unit/shop_model.py); this machine checks that
the API maps them alike: status codes, problem types, ETag, Location and replayed answers.

Hypothesis drives the shop through the API (products, restocks, shipping methods,
orders that sometimes ask for too much, name unknown SKUs or methods, or repeat a SKU;
pay, ship and cancel in every order, legal or not, with and without If-Match; retries
with an Idempotency-Key) and keeps a plain in-memory model of what the shop must then
hold. After every step the API must agree with the model: stock, orders, totals, order
numbers 1..N, and every refusal exactly where the model expects one. At the end of each
example the read models rebuilt from the events must equal the live ones.

Each example gets a database of its own, cloned from the session's migrated template
(the same way the root conftest makes one per test), so the model is the whole shop.

Runs 10 derandomised examples of up to 30 steps per backend by default; set
ORDER_SERVICE_STATEFUL_EXAMPLES=500 to explore longer, with fresh randomness each run.
"""

from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, settings
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
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.engine import URL

from order_service.adapters.sql.engine import make_engine
from order_service.application.access import Role
from order_service.projections.rebuild import rebuild_projections
from order_service.projections.tables import READ_MODEL_TABLES
from order_service.settings import Settings
from tests.api_keys import app_client, create_key
from tests.e2e.builders import JsonObject, order_body
from tests.e2e.expectations import assert_problem
from tests.unit.shop_model import (
    CHANGES,
    GHOST_METHOD,
    GHOST_SKU,
    LEGAL_HISTORIES,
    RARELY,
    TRANSITIONS,
    Model,
    Order,
    Product,
    check_order,
)

EXAMPLES_VARIABLE = "ORDER_SERVICE_STATEFUL_EXAMPLES"
RELEASED_BEFORE_DROPPING = 10
BODY_FIELD = {"pay": "payment_reference", "ship": "tracking_number", "cancel": "reason"}


# -- a database per example ----------------------------------------------------------


@dataclass
class Databases:
    """Fresh copies of the session's migrated template, as the root conftest makes them."""

    backend: str
    request: pytest.FixtureRequest
    directory: Path
    _admin: Engine | None = None
    _released: list[str] = field(default_factory=list)

    def create(self) -> str:
        """A URL to a new, migrated, empty database."""
        if self.backend == "sqlite":
            template: Path = self.request.getfixturevalue("sqlite_template")
            path = self.directory / f"stateful-{uuid.uuid4().hex[:8]}.db"
            shutil.copyfile(template, path)
            return f"sqlite:///{path}"
        admin_url, template_name = self._postgres()
        name = f"os_stateful_{uuid.uuid4().hex[:12]}"
        with self._admin_engine(admin_url).connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"'))
        return admin_url.set(database=name).render_as_string(hide_password=False)

    def release(self, url: str) -> None:
        """Done with a database made by `create`; it is dropped soon."""
        if self.backend == "sqlite":
            Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
            return
        # Dropping in batches is quicker than one at a time, and still keeps the server
        # from filling up while hypothesis shrinks a failure through hundreds of examples.
        self._released.append(url.rsplit("/", 1)[-1])
        if len(self._released) >= RELEASED_BEFORE_DROPPING:
            self._drop_released()

    def close(self) -> None:
        """Drop the released databases and the administrative connection."""
        if self._admin is not None:
            self._drop_released()
            self._admin.dispose()

    def _drop_released(self) -> None:
        assert self._admin is not None
        with self._admin.connect() as connection:
            for name in self._released:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self._released.clear()

    def _postgres(self) -> tuple[URL, str]:
        admin_url, template_name = self.request.getfixturevalue("postgres_template")
        return admin_url, template_name

    def _admin_engine(self, admin_url: URL) -> Engine:
        if self._admin is None:
            self._admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        return self._admin


def read_models(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every read-model row, table by table, in key order."""
    with engine.connect() as connection:
        return {
            table.name: [tuple(row) for row in connection.execute(
                select(table).order_by(*table.primary_key.columns))]
            for table in READ_MODEL_TABLES
        }


@dataclass
class Keyed:
    """A command sent with an Idempotency-Key, and the answer it got."""

    path: str
    body: JsonObject | None
    key: str
    status: int
    answer: Any
    other_body: JsonObject  # a different valid body for the same path


def problem_slug(problem: JsonObject) -> str:
    """The last part of a problem type URI."""
    slug: str = problem["type"].rsplit(":", 1)[-1]
    return slug


# -- the machine ---------------------------------------------------------------------


class ShopMachine(RuleBasedStateMachine):
    """The API against the model; the test that runs it says where its databases come from."""

    databases: Databases

    products = Bundle("products")
    methods = Bundle("methods")
    orders = Bundle("orders")

    def __init__(self) -> None:
        super().__init__()
        self.url = self.databases.create()
        self.shop_settings = Settings(database_url=self.url)
        self.client = app_client(self.shop_settings, create_key(self.url, Role.MERCHANT))
        self.client.__enter__()
        self.model = Model(tax_rate=self.shop_settings.tax_rate)
        self.counter = 0
        self.last_keyed: Keyed | None = None

    # -- helpers

    def _next(self) -> int:
        self.counter += 1
        return self.counter

    def _post(self, path: str, body: JsonObject | None, keyed: bool = False,
              headers: dict[str, str] | None = None,
              other_body: JsonObject | None = None) -> httpx.Response:
        headers = dict(headers or {})
        key = f"key-{uuid.uuid4()}" if keyed else None
        if key is not None:
            headers["Idempotency-Key"] = key
        response = self.client.post(path, json=body, headers=headers)
        if key is not None:
            assert other_body is not None
            assert other_body != body
            self.last_keyed = Keyed(path, body, key, response.status_code, response.json(),
                                    other_body)
        return response

    def _check_history(self, order: Order) -> None:
        response = self.client.get(f"/v1/orders/{order.id}/events")
        assert response.status_code == 200, response.text
        types = tuple(event["type"] for event in response.json())
        assert types in LEGAL_HISTORIES, types
        assert list(types) == order.history
        assert [event["version"] for event in response.json()] == list(
            range(1, len(types) + 1))

    def _check_one(self, order: Order) -> None:
        response = self.client.get(f"/v1/orders/{order.id}")
        assert response.status_code == 200, response.text
        assert response.headers["etag"] == f'"{order.version}"'
        check_order(response.json(), order)
        self._check_history(order)

    # -- the catalogue

    @initialize(target=products, stocked=st.lists(
        st.tuples(st.integers(0, 20_000), st.integers(4, 20)), min_size=1, max_size=3))
    def open_with_products(self, stocked: list[tuple[int, int]]) -> Any:
        """The shop opens with a few products, so that orders come from the first step."""
        return multiple(*(self.add_product(price, stock, keyed=False)
                          for price, stock in stocked))

    @initialize(target=methods, price=st.integers(0, 1_500))
    def open_with_a_shipping_method(self, price: int) -> str:
        """The shop opens with a shipping method."""
        return self.add_shipping_method(price, keyed=False)

    @rule(target=products, price=st.integers(0, 20_000), stock=st.integers(0, 10),
          keyed=st.booleans())
    def add_product(self, price: int, stock: int, keyed: bool) -> str:
        """A new product is added with its opening stock."""
        number = self._next()
        sku, name = f"SKU-{number}", f"Product {number}"
        body = {"sku": sku, "name": name, "price": price, "stock": stock}
        response = self._post("/v1/products", body, keyed, other_body={**body, "name": "Other"})
        assert response.status_code == 201, response.text
        assert (response.json()["available"], response.json()["price"]) == (stock, price)
        self.model.products[sku] = Product(name, price, stock)
        return sku

    @rule(target=methods, price=st.integers(0, 1_500), keyed=st.booleans())
    def add_shipping_method(self, price: int, keyed: bool) -> str:
        """A new shipping method is offered."""
        code = f"ship-{self._next()}"
        body = {"code": code, "name": f"Method {code}", "price": price}
        response = self._post("/v1/shipping-methods", body, keyed,
                              other_body={**body, "name": "Other"})
        assert response.status_code == 201, response.text
        self.model.methods[code] = price
        return code

    @rule(sku=products, code=methods, which=st.sampled_from(["product", "method"]))
    def add_an_existing_product_or_shipping_method(self, sku: str, code: str,
                                                   which: str) -> None:
        """A SKU or a code is added once; a second time is a 409 and changes nothing."""
        if which == "product":
            response = self._post("/v1/products",
                                  {"sku": sku, "name": "Again", "price": 1, "stock": 99})
            assert problem_slug(assert_problem(response, 409)) == "product-exists"
        else:
            response = self._post("/v1/shipping-methods",
                                  {"code": code, "name": "Again", "price": 1})
            assert problem_slug(assert_problem(response, 409)) == "shipping-method-exists"

    @rule(sku=products, quantity=st.integers(1, 10), unknown=RARELY, keyed=st.booleans())
    def restock(self, sku: str, quantity: int, unknown: bool, keyed: bool) -> None:
        """Stock arrives for a known product; an unknown one is a 404."""
        sku = GHOST_SKU if unknown else sku
        response = self._post(f"/v1/products/{sku}/restock", {"quantity": quantity}, keyed,
                              other_body={"quantity": quantity + 1})
        if unknown:
            assert problem_slug(assert_problem(response, 404)) == "product-not-found"
            return
        assert response.status_code == 200, response.text
        self.model.products[sku].available += quantity
        assert response.json()["available"] == self.model.products[sku].available

    # -- orders

    @rule(target=orders,
          lines=st.lists(st.tuples(products, st.integers(1, 3)), min_size=1, max_size=4),
          method=methods, unknown_sku=RARELY, unknown_method=RARELY, keyed=st.booleans(),
          then=st.one_of(st.just([]), CHANGES))
    def place_order(self, *, lines: list[tuple[str, int]], method: str, unknown_sku: bool,
                    unknown_method: bool, keyed: bool,
                    then: list[tuple[str, str | None, bool]]) -> Any:
        """An order is accepted whole, or refused whole for the reason the model sees.

        Lines may repeat a SKU, ask for more than is left, or name a SKU or a shipping
        method the shop does not have. An accepted order may then be paid, shipped or
        cancelled at once (`then`), so that every example walks some orders' lives.
        """
        if unknown_sku:
            lines = [*lines[:1], (GHOST_SKU, 1), *lines[1:]]
        method = GHOST_METHOD if unknown_method else method
        body = order_body([{"sku": sku, "quantity": quantity} for sku, quantity in lines],
                          method)
        other = {**body, "customer": {**body["customer"], "name": "Someone Else"}}
        response = self._post("/v1/orders", body, keyed, other_body=other)
        refusals = self.model.refusals(lines, method)
        if refusals:
            self._check_refusal(response, refusals, method)
            return multiple()
        assert response.status_code == 201, response.text
        order = self.model.place(response.json()["id"], lines, method)
        check_order(response.json(), order)
        assert response.headers["location"] == f"/v1/orders/{order.id}"
        for action, if_match, with_body in then:
            self._change(order, action, if_match, with_body, keyed)
        self._check_one(order)
        return order.id

    @staticmethod
    def _check_refusal(response: httpx.Response, refusals: dict[str, Any], method: str
                       ) -> None:
        # When an order deserves several refusals, any one of them is a right answer.
        problem = assert_problem(response, response.status_code)
        slug = problem_slug(problem)
        assert slug in refusals, (slug, refusals)
        assert response.status_code == (409 if slug == "out-of-stock" else 422)
        if slug == "out-of-stock":
            assert sorted((s["sku"], s["requested"], s["available"])
                          for s in problem["out_of_stock"]) == refusals[slug]
        elif slug == "unknown-product":
            assert problem["skus"] == refusals[slug]
        else:
            assert method in problem["detail"]

    @rule(order_id=orders, changes=CHANGES, unknown=RARELY, keyed=st.booleans())
    def change_order(self, order_id: str, changes: list[tuple[str, str | None, bool]],
                     unknown: bool, keyed: bool) -> None:
        """Pay, ship or cancel, in any order and repeated: each a change, a 200 no-op,
        a 409 or a 412, as the model says; an order nobody placed is a 404."""
        for action, if_match, with_body in changes:
            if unknown:
                unknown_id = uuid.UUID(int=self._next())
                response = self._post(f"/v1/orders/{unknown_id}/{action}", None)
                assert problem_slug(assert_problem(response, 404)) == "order-not-found"
            else:
                self._change(self.model.orders[order_id], action, if_match, with_body, keyed)
        if not unknown:
            self._check_one(self.model.orders[order_id])

    def _change(self, order: Order, action: str, if_match: str | None, with_body: bool,
                keyed: bool) -> None:
        headers = {}
        if if_match == "current":
            headers["If-Match"] = f'"{order.version}"'
        elif if_match == "stale":
            headers["If-Match"] = f'"{order.version + 1}"'
        elif if_match == "*":
            headers["If-Match"] = "*"
        note = f"{action}-{self._next()}"
        body = {BODY_FIELD[action]: note} if with_body else None
        other = {BODY_FIELD[action]: f"{note}-other"} if with_body else {}
        response = self._post(f"/v1/orders/{order.id}/{action}", body, keyed, headers, other)

        if if_match == "stale":
            problem = assert_problem(response, 412)
            assert problem["current_version"] == order.version
            assert response.headers["etag"] == f'"{order.version}"'
        elif order.status not in TRANSITIONS[action]:
            problem = assert_problem(response, 409)
            assert problem_slug(problem) == "illegal-transition"
            assert problem["current_status"] == order.status
            assert problem["action"] == action
            assert order.status in problem["detail"]
        else:
            assert response.status_code == 200, response.text
            self.model.change(order, action, note if with_body else None)
            check_order(response.json(), order)
            assert response.headers["etag"] == f'"{order.version}"'

    # -- retries

    @precondition(lambda self: self.last_keyed is not None)
    @rule()
    def retry_the_last_keyed_command(self) -> None:
        """A retry with the same key and body gets the first answer and changes nothing."""
        keyed = self.last_keyed
        assert keyed is not None
        response = self.client.post(keyed.path, json=keyed.body,
                                    headers={"Idempotency-Key": keyed.key})
        assert response.status_code == keyed.status
        assert response.json() == keyed.answer
        assert response.headers["idempotent-replayed"] == "true"

    @precondition(lambda self: self.last_keyed is not None)
    @rule()
    def reuse_the_last_key_for_another_body(self) -> None:
        """The same key with another body is a 422 and changes nothing."""
        keyed = self.last_keyed
        assert keyed is not None
        response = self.client.post(keyed.path, json=keyed.other_body,
                                    headers={"Idempotency-Key": keyed.key})
        assert problem_slug(assert_problem(response, 422)) == "idempotency-key-reused"

    # -- after every step

    @invariant()
    def stock_and_catalogue_match_the_model(self) -> None:
        """Stock is never negative and the catalogue is exactly what the model says."""
        response = self.client.get("/v1/products")
        assert response.status_code == 200, response.text
        shown = {p["sku"]: (p["name"], p["price"], p["available"], p["in_stock"])
                 for p in response.json()}
        assert all(available >= 0 for _, _, available, _ in shown.values()), shown
        assert shown == {sku: (p.name, p.price, p.available, p.available > 0)
                         for sku, p in self.model.products.items()}

    @invariant()
    def every_order_matches_the_model_and_numbers_run_from_one(self) -> None:
        """Every accepted order is listed as the model has it; numbers are 1..N."""
        response = self.client.get("/v1/orders", params={"limit": 200})
        assert response.status_code == 200, response.text
        listed = response.json()["items"]
        assert sorted(o["number"] for o in listed) == list(
            range(1, len(self.model.orders) + 1))
        assert {o["id"] for o in listed} == set(self.model.orders)
        for answer in listed:
            check_order(answer, self.model.orders[answer["id"]])

    def teardown(self) -> None:
        """Every history is legal, and a rebuild gives back the live read models."""
        engine = make_engine(self.url)
        try:
            for order in self.model.orders.values():
                self._check_history(order)
            methods = self.client.get("/v1/shipping-methods").json()
            assert {m["code"]: m["price"] for m in methods} == self.model.methods
            live = read_models(engine)
            rebuild_projections(engine)
            assert read_models(engine) == live
        finally:
            engine.dispose()
            self.client.__exit__(None, None, None)
            self.databases.release(self.url)


def _hypothesis_settings() -> settings:
    examples = os.environ.get(EXAMPLES_VARIABLE)
    return settings(
        max_examples=int(examples) if examples else 10,
        stateful_step_count=30,
        deadline=None,
        # Reproducible in CI; a longer local run explores with fresh randomness.
        derandomize=examples is None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
        # One failure, shrunk, is what a reader needs; hunting several costs minutes.
        report_multiple_bugs=False,
    )


def test_random_command_sequences_keep_the_api_consistent_with_the_model(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    source = Databases(backend, request, tmp_path)

    class Shop(ShopMachine):
        databases = source

    try:
        run_state_machine_as_test(Shop, settings=_hypothesis_settings())
    finally:
        source.close()
