"""An order id in a path: any spelling of a UUID names that order; anything else names no
order, so it is refused as an unknown order (404), not as a malformed request.

That every order route answers such an id with a 404 problem is
tests/e2e/test_api_orders.py's.
"""

from __future__ import annotations

from uuid import UUID

import pytest

from order_service.api.deps import order_id_from_path
from order_service.domain.errors import OrderNotFound

ORDER_ID = UUID("7d3f1e1a-2b9c-4c55-9a43-2f8c1d5e8a10")


@pytest.mark.parametrize("raw", ["not-a-uuid", "12345", "ORDER-1", "12", ""])
def test_a_path_id_that_is_no_uuid_names_no_order(raw: str) -> None:
    with pytest.raises(OrderNotFound, match="no order"):
        order_id_from_path(raw)


@pytest.mark.parametrize("raw", [str(ORDER_ID), str(ORDER_ID).upper(), ORDER_ID.hex,
                                 "{" + str(ORDER_ID) + "}"],
                         ids=["canonical", "upper-case", "without-dashes", "in-braces"])
def test_every_spelling_of_a_uuid_names_the_same_order(raw: str) -> None:
    assert order_id_from_path(raw) == ORDER_ID
