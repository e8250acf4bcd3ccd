"""The OpenAPI document is a usable manual: every operation explained, with examples.

Each operation needs a summary, a description and a described tag; a success answer with
a body; an example for every media type of its request body and of each documented
answer (success and errors alike); and each example must be valid against the schema it
illustrates. A new route that skips any of these fails here with the list of what is
missing. The document is the app's own (what GET /openapi.json serves, which
tests/e2e/test_docs.py fetches), built without opening a database: no HTTP here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jsonschema_rs
import pytest

from order_service.api.app import create_app
from order_service.settings import Settings

JsonObject = dict[str, Any]
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
# Every operation of the contract published to storefronts.
CONTRACT = [
    ("post", "/v1/products"),
    ("get", "/v1/products"),
    ("get", "/v1/products/{sku}"),
    ("post", "/v1/products/{sku}/restock"),
    ("post", "/v1/shipping-methods"),
    ("get", "/v1/shipping-methods"),
    ("post", "/v1/orders"),
    ("get", "/v1/orders"),
    ("get", "/v1/orders/{order_id}"),
    ("get", "/v1/orders/{order_id}/events"),
    ("post", "/v1/orders/{order_id}/pay"),
    ("post", "/v1/orders/{order_id}/ship"),
    ("post", "/v1/orders/{order_id}/cancel"),
]


@pytest.fixture(scope="module")
def document() -> JsonObject:
    """The app's OpenAPI document (building the app opens no database)."""
    document: JsonObject = create_app(Settings(database_url="sqlite:///never-opened.db")
                                     ).openapi()
    return document


def _operations(document: JsonObject) -> Iterator[tuple[str, JsonObject]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield f"{method.upper()} {path}", operation


def _media(operation: JsonObject) -> Iterator[tuple[str, JsonObject]]:
    """Every media type of the request body and of each answer, named for a message."""
    for media_type, media in operation.get("requestBody", {}).get("content", {}).items():
        yield f"request body ({media_type})", media
    for status, response in operation.get("responses", {}).items():
        for media_type, media in response.get("content", {}).items():
            yield f"{status} answer ({media_type})", media


def _examples(media: JsonObject) -> list[tuple[str, Any]]:
    named = [(name, example["value"]) for name, example in media.get("examples", {}).items()]
    return named + ([("example", media["example"])] if "example" in media else [])


def test_every_operation_has_a_summary_a_description_and_a_described_tag(
    document: JsonObject,
) -> None:
    described = {tag["name"] for tag in document.get("tags", []) if tag.get("description")}
    missing = []
    for name, operation in _operations(document):
        for field in ("summary", "description"):
            if not str(operation.get(field, "")).strip():
                missing.append(f"{name}: no {field}")
        if not operation.get("tags"):
            missing.append(f"{name}: no tag")
        missing += [f"{name}: tag {tag!r} has no description in the document's tags"
                    for tag in operation.get("tags", []) if tag not in described]

    assert missing == []


def test_every_operation_has_an_id_of_its_own(document: JsonObject) -> None:
    ids = [operation.get("operationId") for _, operation in _operations(document)]

    assert None not in ids
    assert len(ids) == len(set(ids)), sorted(ids)


def test_every_request_body_and_answer_has_examples(document: JsonObject) -> None:
    missing = []
    for name, operation in _operations(document):
        statuses = operation.get("responses", {})
        if not any(status.startswith("2") and "content" in statuses[status]
                   for status in statuses):
            missing.append(f"{name}: no success answer with a body")
        missing += [f"{name}: {where} has no example"
                    for where, media in _media(operation) if not _examples(media)]

    assert missing == []


def test_every_example_is_valid_against_its_schema(document: JsonObject) -> None:
    invalid = []
    for name, operation in _operations(document):
        for where, media in _media(operation):
            schema = {**media.get("schema", {}), "components": document["components"]}
            validator = jsonschema_rs.Draft202012Validator(schema)
            for example, value in _examples(media):
                invalid += [f"{name}: {where}, example {example!r}: {error.message}"
                            for error in validator.iter_errors(value)]

    assert invalid == []


def test_errors_are_documented_as_problem_details(document: JsonObject) -> None:
    wrong = [f"{name}: {status} answers {sorted(response.get('content', {}))}"
             for name, operation in _operations(document)
             for status, response in operation["responses"].items()
             if int(status) >= 400
             and set(response.get("content", {})) != {"application/problem+json"}]

    assert wrong == []


def test_every_operation_of_the_storefronts_contract_is_in_the_document(
    document: JsonObject,
) -> None:
    documented = {(method, path) for path, item in document["paths"].items()
                  for method in item if method in METHODS}

    assert [operation for operation in CONTRACT if operation not in documented] == []


def test_the_document_declares_the_bearer_scheme_so_docs_offer_authorize(
    document: JsonObject,
) -> None:
    schemes = document["components"]["securitySchemes"]

    (name, scheme), = schemes.items()
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert document["paths"]["/v1/orders"]["post"]["security"] == [{name: []}]
    assert document["paths"]["/v1/payment-notifications"]["post"]["security"] == []


def test_the_orders_list_describes_its_q_and_customer_email_parameters(
    document: JsonObject,
) -> None:
    operation = document["paths"]["/v1/orders"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}

    assert {"q", "customer_email"} <= parameters.keys()
    assert all(parameters[name]["description"] and parameters[name]["schema"]["type"] ==
               "string" for name in ("q", "customer_email"))


def test_the_metrics_scrape_is_not_part_of_the_api_document(document: JsonObject) -> None:
    assert "/metrics" not in document["paths"]
