"""Shipping-method routes: the shop's shipping options and their prices."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Response, status

from order_service.api import examples as ex
from order_service.api import problem_examples as px
from order_service.api.auth import allowed
from order_service.api.deps import ShopDep, StorageDep
from order_service.api.idempotency import Answer, CommandDep
from order_service.api.schemas.catalogue import ShippingMethodIn, ShippingMethodOut
from order_service.api.schemas.fields import is_code
from order_service.application import queries
from order_service.application.access import Permission
from order_service.application.commands import AddShippingMethod
from order_service.application.views import ShippingMethodView
from order_service.domain.errors import ShippingMethodNotFound

router = APIRouter(prefix="/v1/shipping-methods", tags=["catalogue"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ShippingMethodOut,
    dependencies=[Depends(allowed(Permission.MANAGE_CATALOGUE))],
    summary="Add a shipping method",
    responses={201: ex.answer("The shipping method, at `Location`", ex.SHIPPING_METHOD_ADDED),
               409: ex.refusal("The code already exists", px.SHIPPING_METHOD_EXISTS),
               422: ex.refusal("Invalid shipping method", px.INVALID_SHIPPING_METHOD,
                               px.WRONG_CURRENCY)},
)
def add_shipping_method(
    body: Annotated[ShippingMethodIn, Body(openapi_examples=ex.examples(
        ex.NEW_SHIPPING_METHOD, ex.NEW_EXPRESS))],
    shop: ShopDep, command: CommandDep,
) -> Response:
    """Offer a shipping method at a price (minor units) that orders can choose by code."""
    add = AddShippingMethod(code=body.code, name=body.name, price=body.price,
                            currency=body.currency or shop.terms.currency)
    return _added(shop.add_shipping_method(add, command.context(_added))).response()


def _added(method: ShippingMethodView) -> Answer:
    return Answer(201, ShippingMethodOut.from_view(method),
                  {"Location": f"/v1/shipping-methods/{method.code}"})


@router.get("", summary="List shipping methods",
            dependencies=[Depends(allowed(Permission.READ_CATALOGUE))],
            responses={200: ex.answer("Every shipping method", ex.SHIPPING_METHODS)})
def list_shipping_methods(storage: StorageDep) -> list[ShippingMethodOut]:
    """Every shipping method the storefront can offer, with its price."""
    return [ShippingMethodOut.from_view(m) for m in queries.list_shipping_methods(storage)]


@router.get("/{code}", summary="Get a shipping method",
            dependencies=[Depends(allowed(Permission.READ_CATALOGUE))],
            responses={200: ex.answer("The shipping method", ex.SHIPPING_METHOD_FOUND),
                       404: ex.refusal("No shipping method has this code",
                                       px.SHIPPING_METHOD_NOT_FOUND)})
def get_shipping_method(code: str, storage: StorageDep) -> ShippingMethodOut:
    """One shipping method by its code, with its price: where `Location` points after
    one is added."""
    # A path segment that cannot be a code names no method: a 404, not a form error.
    if not is_code(code):
        raise ShippingMethodNotFound(code[:64])
    return ShippingMethodOut.from_view(queries.get_shipping_method(storage, code))
