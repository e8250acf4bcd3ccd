"""Valid HTTP request bodies to spoil one field at a time, and what a schema says of them."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from order_service.api.problems import field_message

MISSING = object()
Location = tuple[str | int, ...]

ADDRESS: dict[str, Any] = {
    "name": "Ana García", "line1": "Calle Mayor 1", "line2": "3º B", "city": "Madrid",
    "region": "Madrid", "postal_code": "28013", "country": "ES",
}
ORDER: dict[str, Any] = {
    "customer": {"name": "Ana García", "email": "ana@example.com", "phone": "+34 600 000 000"},
    "lines": [{"sku": "SANDAL-42", "quantity": 1}],
    "shipping_address": ADDRESS,
    "billing_address": {**ADDRESS, "line1": "Gran Vía 2", "line2": None, "region": None},
    "payment_method": "card",
    "shipping_method": "standard",
}
PRODUCT: dict[str, Any] = {"sku": "SANDAL-42", "name": "Leather sandals, size 42",
                           "price": 4990, "stock": 10}
SHIPPING_METHOD: dict[str, Any] = {"code": "standard", "name": "Standard (3-5 days)",
                                   "price": 495}


def edited(body: Any, path: Location, value: Any) -> Any:
    """A copy of `body` with the value at `path` replaced (or removed when MISSING)."""
    if not path:
        return value
    head, *rest = path
    copy: Any = list(body) if isinstance(body, list) else dict(body)
    if rest:
        copy[head] = edited(copy[head], tuple(rest), value)
    elif value is MISSING:
        del copy[head]
    else:
        copy[head] = value
    return copy


def refusals(schema: type[BaseModel], body: Any) -> dict[Location, str]:
    """Where `schema` finds `body` wrong: each location, with the words the API uses for it."""
    with pytest.raises(ValidationError) as refused:
        schema.model_validate(body)
    return {tuple(error["loc"]): field_message(dict(error)) for error in refused.value.errors()}
