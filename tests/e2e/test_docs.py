"""The published API description: interactive docs and the OpenAPI document."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

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


def test_the_interactive_docs_are_an_html_page(client: TestClient) -> None:
    response = client.get("/docs")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<html" in response.text.lower()
    assert "/openapi.json" in response.text


def test_the_openapi_document_names_the_service(client: TestClient) -> None:
    response = client.get("/openapi.json")

    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "order-service"


@pytest.mark.parametrize(("method", "path"), CONTRACT, ids=[f"{m} {p}" for m, p in CONTRACT])
def test_every_operation_of_the_contract_is_documented_with_a_summary(
    client: TestClient, method: str, path: str
) -> None:
    paths = client.get("/openapi.json").json()["paths"]

    assert path in paths, sorted(paths)
    operation = paths[path].get(method)
    assert operation is not None, f"{method.upper()} {path} is not documented"
    assert operation.get("summary", "").strip()



def test_the_openapi_declares_the_bearer_scheme_so_docs_offer_authorize(
    client: TestClient,
) -> None:
    document = client.get("/openapi.json", headers={"Authorization": ""}).json()

    schemes = document["components"]["securitySchemes"]
    (name, scheme), = schemes.items()
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    keyed = document["paths"]["/v1/orders"]["post"]
    assert keyed["security"] == [{name: []}]
    assert document["paths"]["/v1/payment-notifications"]["post"]["security"] == []
