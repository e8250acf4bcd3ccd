"""Shipping-method routes: the shop's shipping options and their prices."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from order_service.api.deps import ContextDep, ShopDep, StorageDep
from order_service.api.problems import Problem
from order_service.api.schemas.catalogue import ShippingMethodIn, ShippingMethodOut
from order_service.application import queries
from order_service.application.commands import AddShippingMethod

router = APIRouter(prefix="/v1/shipping-methods", tags=["catalogue"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Add a shipping method",
    responses={409: {"model": Problem, "description": "The code already exists"},
               422: {"model": Problem, "description": "Invalid shipping method"}},
)
def add_shipping_method(body: ShippingMethodIn, shop: ShopDep, context: ContextDep,
                        response: Response) -> ShippingMethodOut:
    """Offer a shipping method at a price (minor units) that orders can choose by code."""
    command = AddShippingMethod(code=body.code, name=body.name, price=body.price,
                                currency=body.currency or shop.terms.currency)
    method = shop.add_shipping_method(command, context)
    response.headers["Location"] = f"/v1/shipping-methods/{method.code}"
    return ShippingMethodOut.from_view(method)


@router.get("", summary="List shipping methods")
def list_shipping_methods(storage: StorageDep) -> list[ShippingMethodOut]:
    """Every shipping method the storefront can offer, with its price."""
    return [ShippingMethodOut.from_view(m) for m in queries.list_shipping_methods(storage)]
