"""Catalogue routes: products and their stock."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Response, status

from order_service.api import examples as ex
from order_service.api import problem_examples as px
from order_service.api.auth import allowed
from order_service.api.deps import ShopDep, StorageDep
from order_service.api.idempotency import Answer, CommandDep
from order_service.api.schemas.catalogue import (
    ProductChangeIn,
    ProductIn,
    ProductOut,
    RestockIn,
)
from order_service.api.schemas.fields import is_sku
from order_service.application import queries
from order_service.application.access import Permission
from order_service.application.commands import (
    AddProduct,
    ChangeProduct,
    RestockProduct,
    RetireProduct,
)
from order_service.application.views import ProductView
from order_service.domain.errors import ProductNotFound

router = APIRouter(prefix="/v1/products", tags=["catalogue"])
READ = [Depends(allowed(Permission.READ_CATALOGUE))]
MANAGE = [Depends(allowed(Permission.MANAGE_CATALOGUE))]
NO_SUCH_SKU = ex.refusal("No such SKU", px.PRODUCT_NOT_FOUND)


def _sku(raw: str) -> str:
    # A path segment that cannot be a SKU names no product: a 404, not a form error.
    if not is_sku(raw):
        raise ProductNotFound(raw[:64])
    return raw


def _added(product: ProductView) -> Answer:
    return Answer(201, ProductOut.from_view(product), {"Location": f"/v1/products/{product.sku}"})


def _restocked(product: ProductView) -> Answer:
    # The answer of every change of a product: the product as it is now.
    return Answer(200, ProductOut.from_view(product))


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ProductOut,
    dependencies=MANAGE,
    summary="Add a product",
    responses={201: ex.answer("The product, at `Location`", ex.PRODUCT_ADDED),
               409: ex.refusal("The SKU already exists", px.PRODUCT_EXISTS),
               422: ex.refusal("Invalid product", px.INVALID_PRODUCT, px.WRONG_CURRENCY)},
)
def add_product(
    body: Annotated[ProductIn, Body(openapi_examples=ex.examples(
        ex.NEW_PRODUCT, ex.NEW_PRODUCT_IN_CURRENCY))],
    shop: ShopDep, command: CommandDep,
) -> Response:
    """Add a product to the catalogue with its price (minor units) and opening stock."""
    add = AddProduct(sku=body.sku, name=body.name, price=body.price, stock=body.stock,
                     currency=body.currency or shop.terms.currency)
    return _added(shop.add_product(add, command.context(_added))).response()


@router.get("", summary="List the catalogue", dependencies=READ,
            responses={200: ex.answer("Every product, by SKU", ex.CATALOGUE)})
def list_products(storage: StorageDep) -> list[ProductOut]:
    """Every product with its price, available stock and whether it is in stock."""
    return [ProductOut.from_view(p) for p in queries.list_products(storage)]


@router.get("/{sku}", summary="Get a product", dependencies=READ,
            responses={200: ex.answer("The product", ex.PRODUCT_FOUND, ex.PRODUCT_SOLD_OUT),
                       404: NO_SUCH_SKU})
def get_product(sku: str, storage: StorageDep) -> ProductOut:
    """One product with its available stock; `in_stock` is false when none is left."""
    return ProductOut.from_view(queries.get_product(storage, _sku(sku)))


@router.post(
    "/{sku}/restock",
    response_model=ProductOut,
    dependencies=MANAGE,
    summary="Restock a product",
    responses={200: ex.answer("The product with its new stock", ex.PRODUCT_RESTOCKED),
               404: NO_SUCH_SKU,
               422: ex.refusal("Invalid quantity", px.INVALID_QUANTITY)},
)
def restock_product(
    sku: str, body: Annotated[RestockIn, Body(openapi_examples=ex.examples(ex.RESTOCK))],
    shop: ShopDep, command: CommandDep,
) -> Response:
    """Add received items to a product's stock; it can be bought again at once."""
    restock = RestockProduct(sku=_sku(sku), quantity=body.quantity)
    return _restocked(shop.restock_product(restock, command.context(_restocked))).response()


@router.patch(
    "/{sku}",
    response_model=ProductOut,
    dependencies=MANAGE,
    summary="Rename or reprice a product",
    responses={200: ex.answer("The product as sold from now on", ex.PRODUCT_CHANGED),
               404: NO_SUCH_SKU,
               422: ex.refusal("Invalid name or price", px.INVALID_PRODUCT,
                               px.WRONG_CURRENCY)},
)
def change_product(
    sku: str,
    body: Annotated[ProductChangeIn, Body(openapi_examples=ex.examples(
        ex.PRODUCT_CHANGE, ex.PRODUCT_REPRICE))],
    shop: ShopDep, command: CommandDep,
) -> Response:
    """Sell a product under a new `name` and/or at a new `price` (minor units) from now
    on. Orders already placed keep their lines as sold. A value equal to the current one
    changes nothing."""
    change = ChangeProduct(sku=_sku(sku), name=body.name, price=body.price,
                           currency=body.currency)
    return _restocked(shop.change_product(change, command.context(_restocked))).response()


@router.post(
    "/{sku}/retire",
    response_model=ProductOut,
    dependencies=MANAGE,
    summary="Retire a product",
    responses={200: ex.answer("The product, no longer sold", ex.PRODUCT_RETIRED),
               404: NO_SUCH_SKU},
)
def retire_product(sku: str, shop: ShopDep, command: CommandDep) -> Response:
    """Stop selling a product: a new order for it is refused with 409 `product-retired`.
    It stays in the catalogue, and orders that have it still show it. Retiring a
    retired product again changes nothing."""
    retire = RetireProduct(sku=_sku(sku))
    return _restocked(shop.retire_product(retire, command.context(_restocked))).response()
