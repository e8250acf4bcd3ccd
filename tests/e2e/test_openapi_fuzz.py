"""Schemathesis against the service's own OpenAPI document, served by a real server.

Every documented operation gets generated requests, valid and invalid (schemathesis'
examples, coverage and fuzzing phases: about 1,000 requests per backend); each answer
must not be a 5xx, must use a documented status code and content type, and must match
the documented body schema and headers. Invalid data must be refused with a 4xx, and a
method a path does not take with 405. Business refusals of schema-valid data (an
unknown SKU, say) are right, so schemathesis' positive_data_acceptance is not asked for.

Every request is sent with a merchant key (Authorization: Bearer), which may use every
keyed operation. A product SANDAL-42, a shipping method "standard" (the document's own
examples) and an order are stored first, and part of the generated requests for an
order or a product are aimed at those, so the answers of real resources are checked
too, not only 404s.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from order_service.api.app import create_app
from order_service.settings import Settings
from tests.e2e.builders import create_product, create_shipping_method, line, place_order
from tests.servers import Server

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    unsupported_method,
]
EXAMPLES_PER_OPERATION = 15


@dataclass(frozen=True)
class Seeded:
    """A real server stocked with the document's examples, and what it holds."""

    base_url: str
    headers: dict[str, str]
    sku: str
    order_id: str


def _document() -> dict[str, Any]:
    # Building the app opens no database (its lifespan does), so the document can be read
    # at collection time; the test checks that the server serves the same one.
    return create_app(Settings(database_url="sqlite:///never-opened.db")).openapi()


schema = schemathesis.openapi.from_dict(_document())


@pytest.fixture(scope="module")
def seeded(module_database_url: str, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[Seeded]:
    """A real server over this module's database, with SANDAL-42, "standard" and an order."""
    # With a gateway secret, unsigned payment notifications are a documented 401 (without
    # one they would be a 503: not set up).
    server = Server(module_database_url, tmp_path_factory.mktemp("fuzzed-server"),
                    settings={"payment_gateway_secret": "fuzzing-gateway-secret"})
    server.start()
    try:
        assert server.client.get("/openapi.json").json() == schema.raw_schema
        create_product(server.client, sku="SANDAL-42", stock=1_000_000)
        create_shipping_method(server.client, code="standard")
        order = place_order(server.client, [line("SANDAL-42", 1)], "standard")
        yield Seeded(base_url=server.base_url, headers=server.auth_headers, sku="SANDAL-42",
                     order_id=order["id"])
    finally:
        server.close()


def _aim_at_seeded(case: Case, seeded: Seeded) -> None:
    """Point half of the valid cases (chosen by their content) at the stored resources."""
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return  # an invalid case must stay as invalid as it was generated
    parameters = case.path_parameters or {}
    for name, value in (("order_id", seeded.order_id), ("sku", seeded.sku)):
        if name in parameters:
            digest = hashlib.sha256(repr(parameters[name]).encode()).digest()
            if digest[0] % 2 == 0:
                parameters[name] = value


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True,
          database=None, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_its_openapi_document_says(case: Case, seeded: Seeded
                                                             ) -> None:
    _aim_at_seeded(case, seeded)
    case.call_and_validate(base_url=seeded.base_url, headers=seeded.headers, checks=CHECKS)
